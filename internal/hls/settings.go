package hls

import (
	"fmt"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/packager"
)

// Defaults for settings a stored endpoint leaves at zero. The control
// plane fills the same values on create; these keep the packager sound
// for resources written before it did.
const (
	defaultManifestName   = "index"
	defaultSegmentSeconds = 6
	defaultWindowSeconds  = 60
)

// segmentMaxAge is the Cache-Control max-age of segments and init
// segments: 14 days, MediaPackage's value.
const segmentMaxAge = 1209600 * time.Second

// container is the segment format of an endpoint.
type container int

const (
	containerTS   container = iota + 1 // hlsPackage: MPEG-TS segments
	containerCMAF                      // cmafPackage: fMP4 (CMAF) segments
)

// playlistType is EXT-X-PLAYLIST-TYPE as configured.
type playlistType int

const (
	typeLive  playlistType = iota // NONE: sliding window
	typeEvent                     // EVENT: append-only from the oldest retained segment
	typeVOD                       // VOD: EVENT while live, VOD once the channel ended
)

func parsePlaylistType(s string) playlistType {
	switch s {
	case "EVENT":
		return typeEvent
	case "VOD":
		return typeVOD
	}
	return typeLive
}

// endpoint is an origin endpoint's packaging settings with defaults
// applied.
type endpoint struct {
	id        string
	container container
	// segment is the configured output segment duration.
	segment time.Duration
	delay   time.Duration
	sel     *configstore.StreamSelection
	// audioGroups puts audio in EXT-X-MEDIA rendition groups (always for
	// CMAF); otherwise each TS variant muxes one audio track.
	audioGroups bool
	// prefix starts segment names: the manifest name (HLS) or the
	// segmentPrefix (CMAF).
	prefix string
	// segDir is how a media playlist refers to the directory holding
	// segments: "" (same directory) or "../" (CMAF manifests live one
	// level down).
	segDir    string
	manifests []manifest
}

// manifest is one HLS presentation of an endpoint: the HLS endpoint's
// only one or one of a CMAF endpoint's hlsManifests.
type manifest struct {
	// id is the CMAF hlsManifests id (its directory), "" for HLS.
	id          string
	name        string
	window      time.Duration
	pdtInterval time.Duration
	typ         playlistType
	iframes     bool
}

// eventLike reports whether the manifest lists everything retained
// instead of a sliding window.
func (m *manifest) eventLike() bool { return m.typ != typeLive }

// settingsOf reads an endpoint's HLS or CMAF package. Encryption is not
// built yet: an endpoint that asks for it gets ErrEncryptionUnsupported
// for every object, never clear media.
func settingsOf(ep *configstore.OriginEndpoint, channelID string) (*endpoint, error) {
	e := &endpoint{id: ep.ID, delay: time.Duration(ep.TimeDelaySeconds) * time.Second}
	name := ep.ManifestName
	if name == "" {
		name = defaultManifestName
	}
	switch {
	case ep.HLSPackage != nil:
		p := ep.HLSPackage
		if p.Encryption != nil {
			return nil, fmt.Errorf("hls: endpoint %q: hlsPackage.encryption (%s): %w", ep.ID, p.Encryption.EncryptionMethod, packager.ErrEncryptionUnsupported)
		}
		e.container = containerTS
		e.segment = seconds(p.SegmentDurationSeconds, defaultSegmentSeconds)
		e.sel = p.StreamSelection
		e.audioGroups = p.UseAudioRenditionGroup
		e.prefix = name
		e.manifests = []manifest{{
			name:        name,
			window:      seconds(p.PlaylistWindowSeconds, defaultWindowSeconds),
			pdtInterval: time.Duration(p.ProgramDateTimeIntervalSeconds) * time.Second,
			typ:         parsePlaylistType(p.PlaylistType),
			iframes:     p.IncludeIframeOnlyStream,
		}}
	case ep.CMAFPackage != nil:
		p := ep.CMAFPackage
		if p.Encryption != nil {
			return nil, fmt.Errorf("hls: endpoint %q: cmafPackage.encryption (%s): %w", ep.ID, p.Encryption.EncryptionMethod, packager.ErrEncryptionUnsupported)
		}
		e.container = containerCMAF
		e.segment = seconds(p.SegmentDurationSeconds, defaultSegmentSeconds)
		e.sel = p.StreamSelection
		e.audioGroups = true
		e.prefix = p.SegmentPrefix
		if e.prefix == "" {
			e.prefix = channelID
		}
		e.segDir = "../"
		for _, m := range p.HLSManifests {
			mn := m.ManifestName
			if mn == "" {
				mn = name
			}
			e.manifests = append(e.manifests, manifest{
				id:          m.ID,
				name:        mn,
				window:      seconds(m.PlaylistWindowSeconds, defaultWindowSeconds),
				pdtInterval: time.Duration(m.ProgramDateTimeIntervalSeconds) * time.Second,
				typ:         parsePlaylistType(m.PlaylistType),
				iframes:     m.IncludeIframeOnlyStream,
			})
		}
	default:
		return nil, fmt.Errorf("hls: endpoint %q has neither hlsPackage nor cmafPackage: %w", ep.ID, packager.ErrNotFound)
	}
	return e, nil
}

func seconds(n, def int) time.Duration {
	if n <= 0 {
		n = def
	}
	return time.Duration(n) * time.Second
}

// lookback is how far back from the live edge the manifest reaches, 0
// when it lists everything retained.
func (m *manifest) lookback(delay time.Duration) time.Duration {
	if m.eventLike() {
		return 0
	}
	return m.window + delay
}

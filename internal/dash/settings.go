package dash

import (
	"fmt"
	"strings"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
)

// TemplateFormat is an endpoint's segmentTemplateFormat: how Representations
// address their media segments.
type TemplateFormat int

// Segment template formats (MediaPackage SegmentTemplateFormat).
const (
	// NumberWithTimeline: $Number$ with a SegmentTimeline.
	NumberWithTimeline TemplateFormat = iota + 1
	// TimeWithTimeline: $Time$ with a SegmentTimeline.
	TimeWithTimeline
	// NumberWithDuration: $Number$ with @duration and no timeline.
	NumberWithDuration
)

func (f TemplateFormat) String() string {
	switch f {
	case NumberWithTimeline:
		return "NUMBER_WITH_TIMELINE"
	case TimeWithTimeline:
		return "TIME_WITH_TIMELINE"
	case NumberWithDuration:
		return "NUMBER_WITH_DURATION"
	}
	return fmt.Sprintf("TemplateFormat(%d)", int(f))
}

// Layout is an endpoint's manifestLayout.
type Layout int

// Manifest layoutOf (MediaPackage ManifestLayout).
const (
	// LayoutFull puts a SegmentTemplate in every Representation.
	LayoutFull Layout = iota + 1
	// LayoutCompact hoists the SegmentTemplate to the AdaptationSet when
	// its Representations share one. DRM_TOP_LEVEL_COMPACT maps to it
	// until Boxcar encrypts DASH.
	LayoutCompact
)

// Profile is an endpoint's DASH profile.
type Profile int

// Profiles (MediaPackage Profile).
const (
	ProfileNone Profile = iota + 1
	ProfileHbbTV15
	ProfileHybridcast
	ProfileDVBDASH2014
)

// UTCTiming is an endpoint's utcTiming: the clock synchronisation scheme
// the MPD advertises.
type UTCTiming int

// UTC timing schemes (MediaPackage UtcTiming). UTCTimingDefault is an
// endpoint that did not set utcTiming at all.
const (
	UTCTimingDefault UTCTiming = iota + 1
	UTCTimingNone
	UTCTimingHTTPHead
	UTCTimingHTTPISO
	UTCTimingHTTPXSDate
)

// schemeIDURI returns the UTCTiming@schemeIdUri of t (ISO/IEC 23009-1
// §5.8.5.7), "" for none.
func (t UTCTiming) schemeIDURI() string {
	switch t {
	case UTCTimingHTTPHead:
		return "urn:mpeg:dash:utc:http-head:2014"
	case UTCTimingHTTPISO:
		return "urn:mpeg:dash:utc:http-iso:2014"
	case UTCTimingHTTPXSDate, UTCTimingDefault:
		return "urn:mpeg:dash:utc:http-xsdate:2014"
	}
	return ""
}

// Defaults for settings a stored endpoint leaves at zero. The control
// plane fills the same values on create, so these only matter for
// endpoints built by hand (tests, tools).
const (
	defaultManifestName       = "index"
	defaultSegmentDuration    = 2 * time.Second
	defaultWindow             = 60 * time.Second
	defaultMinBufferTime      = 30 * time.Second
	defaultMinUpdatePeriod    = 15 * time.Second
	defaultPresentationDelay  = 25 * time.Second
	segmentMaxAge             = 1209600 * time.Second // 14 days, as MediaPackage sends for segments
	minManifestMaxAge         = time.Second
	availabilityStartTimeText = "1970-01-01T00:00:00Z"
)

// settings is a dashPackage endpoint's configuration in typed form.
type settings struct {
	endpointID   string
	manifestName string
	format       TemplateFormat
	layout       Layout
	profile      Profile
	utcTiming    UTCTiming
	utcTimingURI string
	// segment is the wanted output segment duration.
	segment time.Duration
	// window is manifestWindowSeconds (MPD@timeShiftBufferDepth).
	window            time.Duration
	minBufferTime     time.Duration
	minUpdatePeriod   time.Duration
	presentationDelay time.Duration
	timeDelay         time.Duration
	selection         *configstore.StreamSelection
}

// parseSettings reads ep's dashPackage. Unknown enum values are errors:
// the control plane validates them, so one here is a corrupt store.
func parseSettings(ep *configstore.OriginEndpoint) (*settings, error) {
	d := ep.DASHPackage
	s := &settings{
		endpointID:        ep.ID,
		manifestName:      ep.ManifestName,
		segment:           seconds(d.SegmentDurationSeconds, defaultSegmentDuration),
		window:            seconds(d.ManifestWindowSeconds, defaultWindow),
		minBufferTime:     seconds(d.MinBufferTimeSeconds, defaultMinBufferTime),
		minUpdatePeriod:   seconds(d.MinUpdatePeriodSeconds, defaultMinUpdatePeriod),
		presentationDelay: time.Duration(d.SuggestedPresentationDelaySeconds) * time.Second,
		timeDelay:         time.Duration(max(ep.TimeDelaySeconds, 0)) * time.Second,
		utcTimingURI:      strings.TrimSpace(d.UTCTimingURI),
		selection:         d.StreamSelection,
	}
	if s.manifestName == "" {
		s.manifestName = defaultManifestName
	}
	if d.SuggestedPresentationDelaySeconds < 0 {
		s.presentationDelay = 0
	}
	var err error
	if s.format, err = enumValue(ep.ID, "segmentTemplateFormat", d.SegmentTemplateFormat, templateFormatOf); err != nil {
		return nil, err
	}
	if s.layout, err = enumValue(ep.ID, "manifestLayout", d.ManifestLayout, layoutOf); err != nil {
		return nil, err
	}
	if s.profile, err = enumValue(ep.ID, "profile", d.Profile, profileOf); err != nil {
		return nil, err
	}
	if s.utcTiming, err = enumValue(ep.ID, "utcTiming", d.UTCTiming, utcTimingOf); err != nil {
		return nil, err
	}
	return s, nil
}

// The spellings the stored enum members of a dashPackage take, "" when
// unset. These tables are never written.
var (
	templateFormatOf = map[string]TemplateFormat{
		"":                     NumberWithTimeline,
		"NUMBER_WITH_TIMELINE": NumberWithTimeline,
		"TIME_WITH_TIMELINE":   TimeWithTimeline,
		"NUMBER_WITH_DURATION": NumberWithDuration,
	}
	layoutOf = map[string]Layout{
		"":                      LayoutFull,
		"FULL":                  LayoutFull,
		"COMPACT":               LayoutCompact,
		"DRM_TOP_LEVEL_COMPACT": LayoutCompact,
	}
	profileOf = map[string]Profile{
		"":              ProfileNone,
		"NONE":          ProfileNone,
		"HBBTV_1_5":     ProfileHbbTV15,
		"HYBRIDCAST":    ProfileHybridcast,
		"DVB_DASH_2014": ProfileDVBDASH2014,
		"DVB-DASH_2014": ProfileDVBDASH2014,
	}
	utcTimingOf = map[string]UTCTiming{
		"":            UTCTimingDefault,
		"NONE":        UTCTimingNone,
		"HTTP-HEAD":   UTCTimingHTTPHead,
		"HTTP_HEAD":   UTCTimingHTTPHead,
		"HTTP-ISO":    UTCTimingHTTPISO,
		"HTTP_ISO":    UTCTimingHTTPISO,
		"HTTP-XSDATE": UTCTimingHTTPXSDate,
		"HTTP_XSDATE": UTCTimingHTTPXSDate,
	}
)

// enumValue is the value of member, stored as s, of endpoint endpointID's
// dashPackage.
func enumValue[T any](endpointID, member, s string, values map[string]T) (T, error) {
	v, ok := values[s]
	if !ok {
		return v, fmt.Errorf("dash: endpoint %q: unknown %s %q", endpointID, member, s)
	}
	return v, nil
}

func seconds(n int, def time.Duration) time.Duration {
	if n <= 0 {
		return def
	}
	return time.Duration(n) * time.Second
}

// profiles returns MPD@profiles.
func (s *settings) profiles() string {
	const live = "urn:mpeg:dash:profile:isoff-live:2011"
	switch s.profile {
	case ProfileDVBDASH2014:
		return live + ",urn:dvb:dash:profile:dvb-dash:2014"
	case ProfileHbbTV15:
		return live + ",urn:hbbtv:dash:profile:isoff-live:2012"
	}
	return live
}

// suggestedDelay is MPD@suggestedPresentationDelay: the configured delay
// plus the endpoint's time delay, which also moves the listed live edge
// back (packager.Window).
func (s *settings) suggestedDelay() time.Duration { return s.presentationDelay + s.timeDelay }

// delay is the time delay that applies to snapshot snap: none once the
// channel ended, since nothing more is coming and the MPD lists up to the
// end.
func (s *settings) delay(snap *live.Snapshot) time.Duration {
	if snap.Ended {
		return 0
	}
	return s.timeDelay
}

// servingGrace is how long a segment stays servable after it left the
// window: a player may work from an MPD up to minimumUpdatePeriod old
// (plus its cache lifetime), and DASH-IF's timing model keeps references
// available that long after removal.
func (s *settings) servingGrace() time.Duration { return s.minUpdatePeriod + s.segment }

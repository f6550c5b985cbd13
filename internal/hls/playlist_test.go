package hls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
)

// ladder is livetest's default: two video-only renditions (3 and 1 Mbps)
// and an audio-only one: tracks 1 and 2 are video, 3 is audio.
func ladder(t *testing.T) *livetest.Builder {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	return b
}

// TestPlaylistsGolden compares the playlists of synthetic timelines with
// golden files (go test -update rewrites them).
func TestPlaylistsGolden(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T) *livetest.Builder
		ep    *configstore.OriginEndpoint
		paths []string
	}{
		{
			name:  "hls_muxed",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 20); return b },
			ep:    hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 30 }),
			paths: []string{"index.m3u8", "index_1.m3u8", "index_2.m3u8"},
		},
		{
			name:  "hls_audio_group",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 20); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 30
				p.UseAudioRenditionGroup = true
			}),
			paths: []string{"index.m3u8", "index_1.m3u8", "index_3.m3u8"},
		},
		{
			name: "hls_segment_2s",
			build: func(t *testing.T) *livetest.Builder {
				b := ladder(t)
				b.Segments(1, 12)
				return b
			},
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.SegmentDurationSeconds = 2
				p.PlaylistWindowSeconds = 10
			}),
			paths: []string{"index.m3u8", "index_1.m3u8"},
		},
		{
			name: "hls_discontinuity",
			build: func(t *testing.T) *livetest.Builder {
				b := ladder(t)
				b.Segments(1, 12)
				b.Restart(1, 5000*90000) // encoder restart: timestamps jump
				b.Segments(1, 9)
				return b
			},
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 36
				p.ProgramDateTimeIntervalSeconds = 60
			}),
			paths: []string{"index_1.m3u8", "index_2.m3u8"},
		},
		{
			name: "hls_gap",
			build: func(t *testing.T) *livetest.Builder {
				b := ladder(t)
				b.Segments(1, 9)
				b.Skip(1, 6) // an outage with continuing timestamps
				b.Segments(1, 9)
				return b
			},
			ep:    hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 48 }),
			paths: []string{"index_1.m3u8", "index_2.m3u8"},
		},
		{
			name:  "hls_time_delay",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 24); return b },
			ep: func() *configstore.OriginEndpoint {
				ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 18 })
				ep.TimeDelaySeconds = 12
				return ep
			}(),
			paths: []string{"index_1.m3u8"},
		},
		{
			name:  "hls_event",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 24); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 18
				p.PlaylistType = "EVENT"
			}),
			paths: []string{"index_1.m3u8"},
		},
		{
			name: "hls_vod_ended",
			build: func(t *testing.T) *livetest.Builder {
				b := ladder(t)
				b.Segments(1, 11)
				end(t, b, 11*2*90000)
				return b
			},
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 18
				p.PlaylistType = "VOD"
			}),
			paths: []string{"index_1.m3u8"},
		},
		{
			name:  "hls_pdt",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 24); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 42
				p.ProgramDateTimeIntervalSeconds = 10
			}),
			paths: []string{"index_1.m3u8", "index_3.m3u8"},
		},
		{
			name:  "hls_iframes",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 14); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.PlaylistWindowSeconds = 18
				p.IncludeIframeOnlyStream = true
			}),
			paths: []string{"index.m3u8", "index_1_iframes.m3u8"},
		},
		{
			name:  "hls_select_min_ascending",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 8); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.StreamSelection = &configstore.StreamSelection{MinVideoBitsPerSecond: 500000, StreamOrder: "VIDEO_BITRATE_ASCENDING"}
			}),
			paths: []string{"index.m3u8"},
		},
		{
			name:  "hls_select_max",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 8); return b },
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.StreamSelection = &configstore.StreamSelection{MaxVideoBitsPerSecond: 2000000}
			}),
			paths: []string{"index.m3u8"},
		},
		{
			name: "hls_select_descending",
			build: func(t *testing.T) *livetest.Builder {
				b := livetest.New(t, "ch1",
					livetest.Rendition{Name: "low", Video: true, Bitrate: 800_000},
					livetest.Rendition{Name: "high", Video: true, Bitrate: 4_000_000},
					livetest.Rendition{Name: "mid", Video: true, Bitrate: 2_000_000},
					livetest.Rendition{Name: "aud", Audio: true})
				b.Declare(1)
				b.Segments(1, 8)
				return b
			},
			ep: hlsEndpoint(func(p *configstore.HLSPackage) {
				p.UseAudioRenditionGroup = true
				p.StreamSelection = &configstore.StreamSelection{StreamOrder: "VIDEO_BITRATE_DESCENDING"}
			}),
			paths: []string{"index.m3u8"},
		},
		{
			name: "hls_ingest_muxed",
			build: func(t *testing.T) *livetest.Builder {
				// Each ingest rendition carries its own audio: tracks 1+2
				// and 3+4; each variant muxes the audio of its rendition.
				b := livetest.New(t, "ch1",
					livetest.Rendition{Name: "hi", Video: true, Audio: true, Bitrate: 2_000_000},
					livetest.Rendition{Name: "lo", Video: true, Audio: true, Bitrate: 600_000})
				b.Segments(1, 8)
				return b
			},
			ep:    hlsEndpoint(nil),
			paths: []string{"index.m3u8"},
		},
		{
			name: "hls_audio_only",
			build: func(t *testing.T) *livetest.Builder {
				b := livetest.New(t, "ch1", livetest.Rendition{Name: "aud", Audio: true})
				b.Segments(1, 8)
				return b
			},
			ep:    hlsEndpoint(nil),
			paths: []string{"index.m3u8", "index_1.m3u8"},
		},
		{
			name: "hls_late_rendition",
			build: func(t *testing.T) *livetest.Builder {
				// Renditions that join or come back are delivered first
				// in each slot: the timeline publishes a slot as soon as
				// the renditions of the last few slots delivered, and
				// drops what arrives after that.
				b := ladder(t)
				all := b.Renditions
				b.Renditions = all[:1] // only channel_0 at first
				b.Segments(1, 6)
				b.Renditions = []livetest.Rendition{all[1], all[2], all[0]}
				b.Segments(1, 6)
				b.Renditions = []livetest.Rendition{all[0], all[2]} // channel_1 drops out
				b.Segments(1, 6)
				b.Renditions = []livetest.Rendition{all[1], all[2], all[0]}
				b.Segments(1, 6)
				return b
			},
			ep:    hlsEndpoint(func(p *configstore.HLSPackage) { p.UseAudioRenditionGroup = true }),
			paths: []string{"index_1.m3u8", "index_2.m3u8", "index_3.m3u8"},
		},
		{
			name:  "cmaf_two_manifests",
			build: func(t *testing.T) *livetest.Builder { b := ladder(t); b.Segments(1, 24); return b },
			ep: cmafEndpoint(func(p *configstore.CMAFPackage) { p.SegmentPrefix = "seg" },
				configstore.HLSManifest{ID: "live", ManifestName: "index", PlaylistWindowSeconds: 24, IncludeIframeOnlyStream: true},
				configstore.HLSManifest{ID: "dvr", ManifestName: "dvr", PlaylistWindowSeconds: 120, PlaylistType: "EVENT", ProgramDateTimeIntervalSeconds: 12}),
			paths: []string{"live/index.m3u8", "live/index_1.m3u8", "live/index_3.m3u8", "live/index_1_iframes.m3u8",
				"dvr/dvr.m3u8", "dvr/dvr_2.m3u8"},
		},
		{
			name: "cmaf_new_init",
			build: func(t *testing.T) *livetest.Builder {
				// The encoder restarts at a higher resolution: a new
				// init after the discontinuity.
				b := ladder(t)
				b.Segments(1, 9)
				for i := int64(0); i < 9; i++ {
					deliver(t, b, 90000*(1000+2*i), func(s *live.IngestSegment) {
						for k := range s.Tracks {
							if s.Tracks[k].Info.Kind == media.KindVideo {
								s.Tracks[k].Info.Height = 720
								s.Tracks[k].Info.Width = 1280
							}
						}
					})
				}
				return b
			},
			ep: cmafEndpoint(nil,
				configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 60, IncludeIframeOnlyStream: true}),
			paths: []string{"m/index.m3u8", "m/index_1.m3u8", "m/index_3.m3u8", "m/index_1_iframes.m3u8"},
		},
		{
			name: "cmaf_discontinuity",
			build: func(t *testing.T) *livetest.Builder {
				b := ladder(t)
				b.Segments(1, 9)
				b.Restart(1, 90000*1000)
				b.Segments(1, 9)
				return b
			},
			ep: cmafEndpoint(nil,
				configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 60, IncludeIframeOnlyStream: true}),
			paths: []string{"m/index_1.m3u8", "m/index_1_iframes.m3u8"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.build(t)
			p := New()
			c := newChecker(t)
			for _, path := range tc.paths {
				o := fetch(t, p, b, tc.ep, path)
				golden(t, tc.name+"/"+path, o.Body)
				if !strings.HasSuffix(path, "index.m3u8") && !strings.HasSuffix(path, "dvr.m3u8") {
					c.check(path, o.Body)
				}
			}
		})
	}
}

// TestReloadInvariants slides windows over timelines with restarts, gaps,
// late and missing renditions and checks every media playlist on every
// reload (see checker).
func TestReloadInvariants(t *testing.T) {
	eps := map[string]*configstore.OriginEndpoint{
		"ts": hlsEndpoint(func(p *configstore.HLSPackage) {
			p.PlaylistWindowSeconds = 20
			p.ProgramDateTimeIntervalSeconds = 7
			p.IncludeIframeOnlyStream = true
		}),
		"ts_group_delay": func() *configstore.OriginEndpoint {
			ep := hlsEndpoint(func(p *configstore.HLSPackage) {
				p.UseAudioRenditionGroup = true
				p.PlaylistWindowSeconds = 30
				p.SegmentDurationSeconds = 4
			})
			ep.TimeDelaySeconds = 8
			return ep
		}(),
		"cmaf": cmafEndpoint(nil,
			configstore.HLSManifest{ID: "a", ManifestName: "index", PlaylistWindowSeconds: 24, ProgramDateTimeIntervalSeconds: 6, IncludeIframeOnlyStream: true},
			configstore.HLSManifest{ID: "b", ManifestName: "index", PlaylistType: "EVENT"}),
	}
	for name, ep := range eps {
		t.Run(name, func(t *testing.T) {
			b := ladder(t)
			p := New()
			c := newChecker(t)
			all := b.Renditions
			var paths []string
			if ep.HLSPackage != nil {
				paths = []string{"index_1.m3u8", "index_2.m3u8", "index_3.m3u8", "index_1_iframes.m3u8"}
			} else {
				paths = []string{"a/index_1.m3u8", "a/index_2.m3u8", "a/index_3.m3u8", "a/index_1_iframes.m3u8", "b/index_1.m3u8", "b/index_3.m3u8"}
			}
			step := func(i int) {
				switch {
				case i == 10:
					b.Restart(1, 90000*7777)
				case i == 20:
					b.Skip(1, 4)
				case i >= 30 && i < 36:
					b.Renditions = all[:1]
				case i == 36:
					// Returning renditions first: see hls_late_rendition.
					b.Renditions = []livetest.Rendition{all[1], all[2], all[0]}
				case i == 45:
					b.Restart(1, 90000*3)
				}
				b.Segment(1)
			}
			for i := 0; i < 60; i++ {
				step(i)
				for _, path := range paths {
					o, err := fetchErr(p, b, ep, path)
					if isNotFound(err) {
						continue
					}
					if err != nil {
						t.Fatalf("step %d %s: %v", i, path, err)
					}
					c.check(path, o.Body)
				}
			}
			if c.td != 6 && ep.HLSPackage != nil && ep.HLSPackage.SegmentDurationSeconds == 6 {
				t.Errorf("target duration %d, want 6", c.td)
			}
			if len(c.dsn) == 0 {
				t.Fatal(fmt.Sprintf("no segment seen in %v", paths))
			}
		})
	}
}

// TestTargetDurationEvenWindow: the target duration comes from the runs,
// so it is the same before the first output segment is complete, with a
// short first segment after a restart, and with a 4 s setting over 2 s
// ingest.
func TestTargetDuration(t *testing.T) {
	for _, tc := range []struct {
		seconds int
		want    int
	}{{6, 6}, {4, 4}, {5, 6}, {1, 2}, {7, 8}} {
		b := ladder(t)
		b.Segments(1, 7)
		b.Restart(1, 90000*100)
		b.Segments(1, 4)
		ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.SegmentDurationSeconds = tc.seconds })
		o := fetch(t, New(), b, ep, "index_1.m3u8")
		if pl := parseMedia(t, o.Body); pl.td != tc.want {
			t.Errorf("segmentDurationSeconds %d over 2 s ingest: TARGETDURATION %d, want %d", tc.seconds, pl.td, tc.want)
		}
		if o.MaxAge != time.Duration(tc.want)*time.Second/2 {
			t.Errorf("segmentDurationSeconds %d: max-age %v, want %v", tc.seconds, o.MaxAge, time.Duration(tc.want)*time.Second/2)
		}
	}
}

// TestShortWindow: a window shorter than three target durations is
// stretched to three (HLS §6.2.2).
func TestShortWindow(t *testing.T) {
	b := ladder(t)
	b.Segments(1, 60)
	ep := hlsEndpoint(func(p *configstore.HLSPackage) {
		p.SegmentDurationSeconds = 20
		p.PlaylistWindowSeconds = 10
	})
	pl := parseMedia(t, fetch(t, New(), b, ep, "index_1.m3u8").Body)
	var total float64
	for _, s := range pl.segs {
		total += s.dur
	}
	if pl.td != 20 || total < 60 {
		t.Errorf("TARGETDURATION %d, playlist %.0f s; want 20 and at least 60 s", pl.td, total)
	}
}

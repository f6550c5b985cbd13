package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/media/ts"
)

// SegmentType is the container of pushed segments.
type SegmentType int

// Segment types.
const (
	SegmentTS SegmentType = iota
	SegmentFMP4
)

func (t SegmentType) String() string {
	if t == SegmentFMP4 {
		return "fmp4"
	}
	return "ts"
}

// ParseSegmentType parses "ts" or "fmp4".
func ParseSegmentType(s string) (SegmentType, error) {
	switch strings.ToLower(s) {
	case "ts", "":
		return SegmentTS, nil
	case "fmp4", "cmaf":
		return SegmentFMP4, nil
	}
	return 0, fmt.Errorf("push: segment type %q: want ts or fmp4", s)
}

// Defaults of Options.
const (
	DefaultSegmentDuration = 2 * time.Second
	DefaultWindowSegments  = 10
	DefaultRequestTimeout  = 30 * time.Second
)

// startTime is the presentation time (90 kHz) of the first frame of a
// stream: 10 s, clear of zero as encoders keep it.
const startTime = 10 * media.VideoTimescale

// nearWrapLead is how long before the 33-bit PTS wrap (2^33 ticks, about
// 26.5 hours) a StartNearWrap stream starts.
const nearWrapLead = 10 * media.VideoTimescale

// multivariantEvery is how often (in segments) the multivariant playlist is
// uploaded again, so an origin that lost it (restarted without its state)
// learns the ladder anew.
const multivariantEvery = 30

// Options configure a push.
type Options struct {
	// URL is the ingest URL: MediaPackage's and Boxcar's end in
	// "/channel", the base name of every object (see the package doc).
	URL string
	// Clip is the media to loop; nil for DemoClip.
	Clip *Clip
	// Username and Password are the ingest credentials; Auth says how to
	// send them.
	Username, Password string
	Auth               Auth
	// SegmentType is the container: MPEG-TS (default) or fMP4.
	SegmentType SegmentType
	// MuxedAudio puts the audio into every video rendition's TS segments
	// (MediaLive's layout) instead of a separate audio rendition (ffmpeg
	// ladders' layout). TS only.
	MuxedAudio bool
	// SegmentDuration is the wanted segment length, rounded to whole GOPs
	// of the clip. Default DefaultSegmentDuration.
	SegmentDuration time.Duration
	// Duration is how much media to push, rounded up to whole segments;
	// 0 pushes until ctx ends. The last segment's playlists end with
	// EXT-X-ENDLIST.
	Duration time.Duration
	// Realtime uploads each segment once its media time has elapsed, as a
	// live encoder does; false pushes as fast as the server accepts.
	Realtime bool
	// HeadStart is media pushed at once before real-time pacing begins,
	// as if the encoder had started that long ago, so players can start
	// with a few segments. Whole segments; 0 for none.
	HeadStart time.Duration
	// StartNearWrap starts the timestamps 10 s before the 33-bit MPEG-TS
	// PTS wrap, so the stream crosses it.
	StartNearWrap bool
	// DeleteOld sends DELETE for segments that leave the playlist window.
	DeleteOld bool
	// WindowSegments is the number of segments each media playlist lists.
	// Default DefaultWindowSegments.
	WindowSegments int
	// Status receives the status line and error messages; nil for none.
	// Terminal updates the status line in place (\r), every
	// StatusInterval (default 1 s on a terminal, else 5 s).
	Status         io.Writer
	Terminal       bool
	StatusInterval time.Duration
	// HTTPClient makes the requests; default a client with keep-alive
	// connections for every rendition. RequestTimeout bounds one request
	// (default DefaultRequestTimeout).
	HTTPClient     *http.Client
	RequestTimeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Published, when set, is called after each segment index has been
	// uploaded to every rendition, with the counters so far.
	Published func(Stats)
}

// Run pushes until ctx ends (returning ctx's error) or Duration of media
// has been pushed. Upload failures do not stop a push, as they would not
// stop an encoder: each is printed to Status, and Run then returns an error
// counting them. Configuration problems return at once.
func Run(ctx context.Context, o Options) error {
	p, err := newPusher(o)
	if err != nil {
		return err
	}
	return p.run(ctx)
}

// rendition is one uploaded rendition: a video rendition (with muxed audio
// or not) or the separate audio rendition.
type rendition struct {
	n        int // the number in its names, from 1
	video    int // index into the plan's video renditions, -1 for audio only
	audio    bool
	playlist string
	init     []byte // fMP4 init segment
	initName string
	initSent bool
	window   []PlaylistSegment
	seqs     []uint64
}

// pusher is one push in progress.
type pusher struct {
	o        Options
	plan     *Plan
	up       *uploader
	st       *status
	name     string
	rends    []*rendition
	multi    []byte
	multiOK  bool
	target   int
	version  int
	segExt   string
	segType  string
	initType string
}

// newPusher prepares a push with o: the clip's plan, the uploader, the
// renditions with their init segments, and the multivariant playlist.
func newPusher(o Options) (*pusher, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	base, name, err := splitIngestURL(o.URL)
	if err != nil {
		return nil, err
	}
	start := int64(startTime)
	if o.StartNearWrap {
		start = 1<<33 - nearWrapLead
	}
	plan, err := NewPlan(o.Clip, o.SegmentDuration, start)
	if err != nil {
		return nil, err
	}
	p := &pusher{
		o:    o,
		plan: plan,
		up: &uploader{client: o.httpClient(), base: base, user: o.Username, pass: o.Password, mode: o.Auth,
			userAgent: o.UserAgent, timeout: o.RequestTimeout},
		st:     newStatus(o.Status, o.Terminal, o.StatusInterval),
		name:   name,
		target: TargetDurationFor(plan.MaxSegmentDuration()),
	}
	p.version, p.segExt, p.segType = 3, ".ts", "video/mp2t"
	if o.SegmentType == SegmentFMP4 {
		p.version, p.segExt, p.segType, p.initType = 7, ".m4s", "video/iso.segment", "video/mp4"
	}
	if err := p.addRenditions(); err != nil {
		return nil, err
	}
	if p.multi, err = p.multivariant(); err != nil {
		return nil, err
	}
	return p, nil
}

// withDefaults fills in o's unset fields (the built-in clip among them)
// and checks the result.
func (o Options) withDefaults() (Options, error) {
	if o.Clip == nil {
		c, err := DemoClip()
		if err != nil {
			return o, err
		}
		o.Clip = c
	}
	if o.SegmentDuration == 0 {
		o.SegmentDuration = DefaultSegmentDuration
	}
	if o.WindowSegments <= 0 {
		o.WindowSegments = DefaultWindowSegments
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = 5 * time.Second
		if o.Terminal {
			o.StatusInterval = time.Second
		}
	}
	if o.Duration < 0 || o.HeadStart < 0 {
		return o, errors.New("push: negative duration or head start")
	}
	if o.MuxedAudio && o.SegmentType == SegmentFMP4 {
		return o, errors.New("push: muxed audio needs TS segments: fMP4 renditions carry one track each")
	}
	return o, nil
}

// httpClient is o.HTTPClient, or a client that keeps enough idle
// connections to the origin for every rendition.
func (o Options) httpClient() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: tr}
}

// addRenditions makes one rendition per video track of the plan (with the
// audio muxed in, if asked) and one for the audio otherwise, and for fMP4
// each rendition's init segment.
func (p *pusher) addRenditions() error {
	audio := p.plan.Audio()
	for i := range p.plan.Video() {
		p.rends = append(p.rends, &rendition{n: i + 1, video: i, audio: audio != nil && p.o.MuxedAudio})
	}
	if audio != nil && !p.o.MuxedAudio {
		p.rends = append(p.rends, &rendition{n: len(p.rends) + 1, video: -1, audio: true})
	}
	for _, r := range p.rends {
		r.playlist = fmt.Sprintf("%s_%d.m3u8", p.name, r.n)
		if p.o.SegmentType != SegmentFMP4 {
			continue
		}
		var info media.TrackInfo
		if r.video >= 0 {
			info = p.plan.Video()[r.video]
		} else {
			info = *audio
		}
		var err error
		if r.init, err = fmp4.WriteInit(1, info); err != nil {
			return fmt.Errorf("push: %w", err)
		}
		r.initName = fmt.Sprintf("%s_%d_init.mp4", p.name, r.n)
	}
	return nil
}

// mux packages segment seg as rendition r's segment seq.
func (p *pusher) mux(r *rendition, seg *Segment, seq uint64) ([]byte, error) {
	var tracks []ts.MuxTrack
	if r.video >= 0 {
		tracks = append(tracks, ts.MuxTrack{Info: p.plan.video[r.video].info, Samples: seg.Video[r.video]})
	}
	if r.audio && len(seg.Audio) > 0 {
		tracks = append(tracks, ts.MuxTrack{Info: p.plan.audio.info, Samples: seg.Audio})
	}
	if p.o.SegmentType == SegmentFMP4 {
		if len(tracks) != 1 {
			return nil, fmt.Errorf("push: fMP4 segment %d of rendition %d has %d tracks", seq, r.n, len(tracks))
		}
		out := fmp4.SegmentHeader()
		out, err := fmp4.AppendFragment(out, uint32(seq), 1, tracks[0].Samples)
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		return out, nil
	}
	res, err := ts.Mux(tracks, ts.MuxOptions{Sequence: seq})
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	return res.Data, nil
}

// multivariant writes the multivariant playlist, with bit rates measured
// on the first loop's segments.
func (p *pusher) multivariant() ([]byte, error) {
	peak := make([]float64, len(p.rends))
	total := make([]float64, len(p.rends))
	var secs float64
	for i := 0; i < p.plan.SegmentsPerLoop(); i++ {
		seg := p.plan.Segment(uint64(i))
		d := seg.Duration().Seconds()
		secs += d
		for j, r := range p.rends {
			b, err := p.mux(r, &seg, uint64(i))
			if err != nil {
				return nil, err
			}
			bits := float64(len(b) * 8)
			peak[j] = max(peak[j], bits/d)
			total[j] += bits
		}
	}
	// One more audio frame in a later loop's segment, or a rounding, must
	// not push a segment past BANDWIDTH.
	const margin = 1.01
	m := Multivariant{Version: p.version}
	audio := p.plan.Audio()
	var audioPeak, audioAvg float64
	var audioCodec string
	if audio != nil {
		audioCodec = codec.RFC6381(*audio)
	}
	if last := p.rends[len(p.rends)-1]; last.video < 0 {
		i := len(p.rends) - 1
		audioPeak, audioAvg = peak[i], total[i]/secs
		m.Audio = append(m.Audio, AudioRendition{GroupID: "audio", Name: "audio", Language: audio.Language, Channels: audio.Channels, URI: last.playlist})
	}
	for i, r := range p.rends {
		if r.video < 0 {
			continue
		}
		info := p.plan.video[r.video].info
		v := Variant{
			URI:              r.playlist,
			Bandwidth:        int64((peak[i] + audioPeak) * margin),
			AverageBandwidth: int64((total[i]/secs + audioAvg) * margin),
			Width:            info.Width, Height: info.Height,
			FrameRate: p.plan.FrameRate(r.video),
		}
		if c := codec.RFC6381(info); c != "" {
			v.Codecs = append(v.Codecs, c)
		}
		if audioCodec != "" {
			v.Codecs = append(v.Codecs, audioCodec)
		}
		if len(m.Audio) > 0 {
			v.AudioGroup = "audio"
		}
		m.Variants = append(m.Variants, v)
	}
	return m.Encode(), nil
}

func (p *pusher) run(ctx context.Context) error {
	o := &p.o
	if o.HTTPClient == nil {
		// A finished push leaves no connection open.
		defer p.up.client.CloseIdleConnections()
	}
	var desc []string
	for i, info := range p.plan.Video() {
		desc = append(desc, fmt.Sprintf("%dx%d %.4g fps", info.Width, info.Height, p.plan.FrameRate(i)))
	}
	if a := p.plan.Audio(); a != nil {
		how := "separate rendition"
		if o.MuxedAudio {
			how = "muxed"
		}
		desc = append(desc, fmt.Sprintf("audio %d Hz %d ch (%s)", a.SampleRate, a.Channels, how))
	}
	p.st.printf("push: %s to %s%s.m3u8: %s; %s segments of %v (loop of %v in %d segments)",
		o.SegmentType, p.up.base, p.name, strings.Join(desc, ", "), o.SegmentType, o.SegmentDuration,
		p.plan.LoopDuration().Round(time.Millisecond), p.plan.SegmentsPerLoop())

	statusCtx, stopStatus := context.WithCancel(ctx)
	var statusDone sync.WaitGroup
	statusDone.Add(1)
	go func() {
		defer statusDone.Done()
		p.st.run(statusCtx)
	}()
	defer func() {
		stopStatus()
		statusDone.Wait()
		p.st.draw()
		p.st.finish()
	}()

	first := p.plan.Segment(0).Start
	wall := time.Now().Add(-o.HeadStart)
	for n := uint64(0); ; n++ {
		seg := p.plan.Segment(n)
		// The last segment's playlists carry EXT-X-ENDLIST, as ffmpeg's
		// do when it stops.
		last := o.Duration > 0 && ticks(seg.End-first) >= o.Duration
		if o.Realtime {
			if err := sleepUntil(ctx, wall.Add(ticks(seg.End-first))); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.pushSegment(ctx, &seg, wall.Add(ticks(seg.Start-first)), last); err != nil {
			return err
		}
		p.st.segment(ticks(seg.End - first))
		if o.Published != nil {
			o.Published(p.st.stats())
		}
		if last {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if st := p.st.stats(); st.Failures > 0 {
		return fmt.Errorf("push: %d of %d uploads failed; the last: %w", st.Failures, st.Uploads, st.LastError)
	}
	return nil
}

// pushSegment uploads one segment index to every rendition in parallel:
// the init segment first if it has not been accepted yet, the segment,
// then the media playlist listing it (ended: with EXT-X-ENDLIST), then
// deletes.
func (p *pusher) pushSegment(ctx context.Context, seg *Segment, pdt time.Time, ended bool) error {
	if !p.multiOK || seg.Index%multivariantEvery == 0 {
		u := p.up.send(ctx, http.MethodPut, p.name+".m3u8", "application/vnd.apple.mpegurl", p.multi)
		p.st.record(u)
		p.multiOK = u.err == nil
	}
	seq := seg.Index + 1
	data := make([][]byte, len(p.rends))
	for i, r := range p.rends {
		b, err := p.mux(r, seg, seq)
		if err != nil {
			return err
		}
		data[i] = b
	}
	p.eachRendition(func(r *rendition) {
		if r.init != nil && !r.initSent {
			u := p.up.send(ctx, http.MethodPut, r.initName, p.initType, r.init)
			p.st.record(u)
			r.initSent = u.err == nil
		}
		name := fmt.Sprintf("%s_%d_%d%s", p.name, r.n, seq, p.segExt)
		p.st.record(p.up.send(ctx, http.MethodPut, name, p.segType, data[r.n-1]))
		r.window = append(r.window, PlaylistSegment{URI: name, Duration: seg.Duration(), ProgramDateTime: pdt})
		r.seqs = append(r.seqs, seq)
		var gone []string
		for len(r.window) > p.o.WindowSegments {
			gone = append(gone, r.window[0].URI)
			r.window, r.seqs = r.window[1:], r.seqs[1:]
		}
		p.putPlaylist(ctx, r, ended)
		if p.o.DeleteOld {
			for _, g := range gone {
				p.st.record(p.up.send(ctx, http.MethodDelete, g, "", nil))
			}
		}
	})
	return nil
}

// putPlaylist uploads rendition r's media playlist.
func (p *pusher) putPlaylist(ctx context.Context, r *rendition, ended bool) {
	if len(r.window) == 0 {
		return
	}
	pl := MediaPlaylist{Version: p.version, TargetDuration: p.target, MediaSequence: r.seqs[0], Segments: r.window, Ended: ended}
	if r.init != nil {
		pl.Map = r.initName
	}
	p.st.record(p.up.send(ctx, http.MethodPut, r.playlist, "application/vnd.apple.mpegurl", pl.Encode()))
}

// eachRendition runs f for every rendition in parallel and waits.
func (p *pusher) eachRendition(f func(r *rendition)) {
	var wg sync.WaitGroup
	for _, r := range p.rends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(r)
		}()
	}
	wg.Wait()
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

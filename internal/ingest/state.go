package ingest

import (
	"sync"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media/fmp4"
)

// Bounds on what ingest keeps in memory per channel. An encoder normally
// lists a segment within a second of uploading it, so little is ever held.
const (
	// maxHeldBytes bounds the uploaded, not yet listed bytes of a channel:
	// 20 renditions (MediaPackage's stream quota) × 3 segments × 8 MB
	// (6 s at 10 Mbps) is 480 MB. Past it the oldest upload is dropped.
	maxHeldBytes = 512 << 20
	// maxHeldObjects bounds the held uploads of a channel in count.
	maxHeldObjects = 1024
	// heldTTL is how long an upload waits to be listed before it is
	// dropped with a warning (at least heldTargets target durations).
	heldTTL     = 30 * time.Second
	heldTargets = 6
	// missingTargets × the target duration is how long a listed segment
	// (or its init) may take to arrive before it is skipped; ffmpeg
	// without -http_persistent can finish a playlist PUT before the PUT
	// of the segment it lists.
	missingTargets = 2
	// minMissingWait is the floor of that wait.
	minMissingWait = time.Second
	// maxRenditions bounds the media playlists of one input
	// (MediaPackage allows 20 ingest streams per channel).
	maxRenditions = 64
	// maxInits bounds the fMP4 init segments held per input.
	maxInits = 64
	// maxPending bounds the listed segments waiting per rendition; a
	// playlist listing more new segments starts at its newest ones.
	maxPending = 256
	// knownTTL is how long names are remembered after their object was
	// consumed, so re-uploads are answered 204 (replaced).
	knownTTL = 5 * time.Minute
	// maxKnown bounds the names remembered per input.
	maxKnown = 4096
	// sessionIdle drops an input's state after that long without requests
	// and nothing held.
	sessionIdle = 10 * time.Minute
)

// channelState is ingest's state for one channel: a concurrency gate and
// one session per input. mu guards every field of the channel's sessions
// and renditions except rendition.commit; it is held only briefly, never
// across demuxing or storing.
type channelState struct {
	id string

	mu       sync.Mutex
	inflight int
	sessions map[live.Input]*session
	held     int64 // bytes held across sessions
	nheld    int

	// budgeted is what the channel's requests hold of the in-flight
	// budget; guarded by the budget's mutex, not mu.
	budgeted int64
}

// session is what one input (ingest endpoint) of a channel pushed.
type session struct {
	ch       *channelState
	input    live.Input
	endpoint string
	last     time.Time // last request

	objects    map[string]*object
	inits      map[string]*initObject
	renditions map[string]*rendition
	known      map[string]time.Time
	// multivariant is set once the input sent a multivariant playlist.
	multivariant bool
}

// object is an uploaded segment waiting to be listed.
type object struct {
	data    []byte
	kind    content
	arrived time.Time
}

// initObject is an uploaded fMP4 init segment, parsed.
type initObject struct {
	tracks  []fmp4.InitTrack
	arrived time.Time
}

// rendition is the commit state of one media playlist of one input.
type rendition struct {
	name string
	// commit serializes commits of this rendition so its segments reach
	// the timeline in order. Taken before channelState.mu, never while
	// holding it.
	commit sync.Mutex

	// Guarded by channelState.mu.
	started bool
	// next is the media sequence number after the newest segment taken
	// or pending.
	next    uint64
	pending []*listed
	target  time.Duration
	// ended is set when the newest playlist of the rendition ended with
	// #EXT-X-ENDLIST: once nothing of it is pending, the input ended
	// (commit tells the timeline).
	ended bool

	// warned: an unsupported rendition was reported once. Guarded by
	// commit.
	warned bool
}

// listed is a segment a media playlist listed that is not on the timeline
// yet.
type listed struct {
	seq      uint64
	name     string // object name
	uri      string // as listed
	initName string // EXT-X-MAP object name, "" for TS
	duration time.Duration
	target   time.Duration
	pdt      time.Time
	disc     bool
	ended    bool
	cues     [][]byte
	deadline time.Time
}

func (h *Handler) channel(id string) *channelState {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.chans[id]
	if !ok {
		c = &channelState{id: id, sessions: make(map[live.Input]*session)}
		h.chans[id] = c
	}
	return c
}

// acquire takes one of the channel's request slots.
func (c *channelState) acquire(limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight >= limit {
		return false
	}
	c.inflight++
	return true
}

func (c *channelState) release() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
}

// session returns the input's session, creating it.
func (c *channelState) session(in live.Input, endpoint string, now time.Time) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sessions[in]
	if !ok || s.endpoint != endpoint {
		if ok {
			c.dropAll(s)
		}
		s = &session{
			ch: c, input: in, endpoint: endpoint,
			objects:    make(map[string]*object),
			inits:      make(map[string]*initObject),
			renditions: make(map[string]*rendition),
			known:      make(map[string]time.Time),
		}
		c.sessions[in] = s
	}
	s.last = now
	return s
}

// dropAll forgets everything a session holds. Called with mu held.
func (c *channelState) dropAll(s *session) {
	for name, o := range s.objects {
		c.held -= int64(len(o.data))
		c.nheld--
		delete(s.objects, name)
	}
}

// take removes and returns a held object. Called with mu held.
func (s *session) take(name string, now time.Time) *object {
	o, ok := s.objects[name]
	if !ok {
		return nil
	}
	delete(s.objects, name)
	s.ch.held -= int64(len(o.data))
	s.ch.nheld--
	s.remember(name, now)
	return o
}

// remember notes that name existed. Called with mu held.
func (s *session) remember(name string, now time.Time) {
	if len(s.known) >= maxKnown {
		oldest, at := "", now
		for n, t := range s.known {
			if t.Before(at) {
				oldest, at = n, t
			}
		}
		delete(s.known, oldest)
	}
	s.known[name] = now
}

// exists reports whether name was uploaded before. Called with mu held.
func (s *session) exists(name string) bool {
	if _, ok := s.objects[name]; ok {
		return true
	}
	if _, ok := s.inits[name]; ok {
		return true
	}
	_, ok := s.known[name]
	return ok
}

// delete handles DELETE: drops a held upload or init. What is on the
// timeline stays there.
func (s *session) delete(name string) {
	c := s.ch
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := s.objects[name]; ok {
		delete(s.objects, name)
		c.held -= int64(len(o.data))
		c.nheld--
	}
	delete(s.inits, name)
	delete(s.known, name)
}

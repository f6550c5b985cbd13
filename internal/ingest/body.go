package ingest

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

const (
	// bodyChunk is the unit request body buffers grow by: memory follows
	// the bytes received, whatever Content-Length declares. Chunks are
	// pooled; each upload still allocates its own exact-size copy, which
	// the stored object keeps.
	bodyChunk = 64 << 10
	// chunkedRead bounds one read of a chunked body. net/http's chunked
	// reader returns only when the buffer is full or a chunk ends, so a
	// chunk trickled slowly would see no progress, and no deadline
	// extension, until a whole buffer arrived; with 16 KiB reads that
	// takes longer than the idle timeout only under 16 KiB per idle
	// timeout, below the minimum rate.
	chunkedRead = 16 << 10
	// maxDeleteBody bounds the body of a DELETE, which carries none
	// (ffmpeg sends an empty chunked one); it is read and discarded.
	maxDeleteBody = 4 << 10
)

// chunk is one pooled body buffer.
type chunk = [bodyChunk]byte

// maxFreeChunks bounds the chunks kept for reuse between requests (8 MiB):
// a free list, not a sync.Pool, so that a collection does not empty it and
// every upload after it allocate its chunks anew.
const maxFreeChunks = 128

// chunkPool recycles body chunks. Safe for concurrent use.
type chunkPool struct{ free chan *chunk }

func newChunkPool() *chunkPool { return &chunkPool{free: make(chan *chunk, maxFreeChunks)} }

func (p *chunkPool) get() *chunk {
	select {
	case c := <-p.free:
		return c
	default:
		return new(chunk)
	}
}

func (p *chunkPool) put(c *chunk) {
	select {
	case p.free <- c:
	default:
	}
}

// deadlineKind says which bound a body read deadline enforces.
type deadlineKind int

const (
	deadlineIdle  deadlineKind = iota // no bytes for BodyIdleTimeout
	deadlineRate                      // average under BodyMinRate after the grace
	deadlineTotal                     // the whole body over BodyTimeout
)

// bodyReader reads one request body with a read deadline on the
// connection that moves as bytes arrive: the next bytes are due within
// the idle timeout, the whole body within the body timeout, and once the
// grace period is over the average rate since the start must stay above
// the minimum. Connection deadlines are wall-clock by nature, so it uses
// time.Now, not the injected clock.
type bodyReader struct {
	r     io.Reader
	rc    *http.ResponseController
	cfg   *bodyLimits
	start time.Time
	n     int64
	// armed is false when the connection takes no deadlines (a test
	// recorder): then only the server's own timeouts apply.
	armed bool
	why   deadlineKind
}

// bodyLimits are the time bounds of a body, from config.IngestConfig.
type bodyLimits struct {
	total   time.Duration
	idle    time.Duration
	minRate int64 // bytes per second; 0 for none
	grace   time.Duration
}

func newBodyReader(w http.ResponseWriter, r io.Reader, cfg *bodyLimits) *bodyReader {
	b := &bodyReader{r: r, rc: http.NewResponseController(w), cfg: cfg, start: time.Now()}
	b.armed = b.arm(b.start) == nil
	return b
}

// arm sets the connection's read deadline for the next bytes.
func (b *bodyReader) arm(now time.Time) error {
	d, why := now.Add(b.cfg.idle), deadlineIdle
	if t := b.start.Add(b.cfg.total); t.Before(d) {
		d, why = t, deadlineTotal
	}
	if b.cfg.minRate > 0 {
		// n bytes keep the average at the minimum until start+n/rate.
		t := b.start.Add(time.Duration(float64(b.n) / float64(b.cfg.minRate) * float64(time.Second)))
		if g := b.start.Add(b.cfg.grace); t.Before(g) {
			t = g
		}
		if t.Before(d) {
			d, why = t, deadlineRate
		}
	}
	b.why = why
	return b.rc.SetReadDeadline(d)
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.armed && b.n > 0 {
		b.arm(time.Now())
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// finish clears the deadline once the body was read, so the server's own
// timeouts govern what follows on the connection.
func (b *bodyReader) finish() {
	if b.armed {
		b.rc.SetReadDeadline(time.Time{})
	}
}

// timeoutError maps a deadline that fired to the answer.
func (b *bodyReader) timeoutError(name string, err error) error {
	switch b.why {
	case deadlineTotal:
		return fail(http.StatusRequestTimeout, reasonTimeout, err, "body of %s did not arrive within %s", name, b.cfg.total)
	case deadlineRate:
		return fail(http.StatusRequestTimeout, reasonTooSlow, err,
			"body of %s arrived slower than %d bytes/s on average (%d bytes in %s): upload discarded", name, b.cfg.minRate, b.n, time.Since(b.start).Round(time.Millisecond))
	}
	return fail(http.StatusRequestTimeout, reasonTimeout, err, "no bytes of the body of %s for %s: upload discarded", name, b.cfg.idle)
}

// readBody reads the whole request body, sized or chunked, bounded by
// limit bytes, the body deadlines and the in-flight budget. Buffers grow
// in pooled chunks as bytes arrive and every byte is reserved in the
// budget before it is read; the reservation is the request's until it
// ends (ServeHTTP gives it back). The body is returned as one exact-size
// slice.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, req *request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, fail(http.StatusRequestEntityTooLarge, reasonTooLarge, nil, "body of %d bytes is over the limit of %d bytes for %s", r.ContentLength, limit, req.t.name)
	}
	br := newBodyReader(w, r.Body, &h.limits)
	var chunks []*chunk
	defer func() {
		for _, c := range chunks {
			h.chunks.put(c)
		}
	}()
	var n int64
	off := bodyChunk
	for {
		// One byte past the limit tells an oversized chunked body; a
		// sized body ends at its length, where a read of nothing sees
		// EOF.
		want := min(limit+1-n, chunkedRead)
		if r.ContentLength >= 0 {
			want = r.ContentLength - n
		}
		var p []byte
		if want > 0 {
			if off == bodyChunk {
				chunks = append(chunks, h.chunks.get())
				off = 0
			}
			want = min(want, int64(bodyChunk-off))
			if !h.budget.reserve(req.cs, want) {
				return nil, h.budgetError(req)
			}
			p = chunks[len(chunks)-1][off : off+int(want)]
		}
		k, err := br.Read(p)
		h.budget.release(req.cs, want-int64(k))
		req.reserved += int64(k)
		n += int64(k)
		off += k
		req.received = n
		switch {
		case n > limit:
			return nil, fail(http.StatusRequestEntityTooLarge, reasonTooLarge, nil, "body of %s is over the limit of %d bytes", req.t.name, limit)
		case err == io.EOF, err == nil && want == 0: // the whole declared length
		case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
			return nil, br.timeoutError(req.t.name, err)
		case err != nil:
			return nil, fail(http.StatusBadRequest, reasonTruncated, err, "body of %s was cut short after %d bytes; upload discarded", req.t.name, n)
		default:
			continue
		}
		break
	}
	req.bodyRead = true
	br.finish()
	if n == 0 {
		return nil, nil
	}
	body := make([]byte, n)
	at := 0
	for _, c := range chunks {
		at += copy(body[at:], c[:])
	}
	return body, nil
}

func (h *Handler) budgetError(req *request) error {
	return fail(http.StatusServiceUnavailable, reasonBudget, nil,
		"ingest is holding as many request body bytes as it may (%d for this channel, %d for all): retry", h.budget.share, h.budget.limit)
}

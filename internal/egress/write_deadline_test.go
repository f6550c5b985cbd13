package egress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"boxcar/internal/packager"
)

// bigPackager serves every path as one segment of size bytes.
type bigPackager struct{ size int }

func (p bigPackager) Package(ctx context.Context, req *packager.Request) (*packager.Object, error) {
	return &packager.Object{Body: segmentBody(req.Path, p.size), ContentType: "video/mp2t", Kind: packager.KindSegment,
		Immutable: true, LastModified: segmentModTime}, nil
}

// smallBufferListener gives accepted connections a small send buffer, so
// a client that stops reading blocks the server's writes after a few KiB
// instead of after the megabytes loopback buffers hold.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// TestSlowReader: a client that stops reading a segment is disconnected
// once it has accepted nothing for the write wait, and counted; a client
// that reads slowly but steadily gets the whole segment.
func TestSlowReader(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		name string
		wait time.Duration
		// read is how much the client reads every pace; 0 stops
		// reading after the header.
		read int
		pace time.Duration
		cut  bool
	}{
		{name: "stalled", wait: 500 * time.Millisecond, read: 0, cut: true},
		// 16 KiB per 50 ms is 320 KiB/s: each 64 KiB chunk is taken
		// in about 200 ms, five times within the wait.
		{name: "steady", wait: time.Second, read: 16 << 10, pace: 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) {
				o.HLS = bigPackager{size: size}
				o.WriteWait = tc.wait
			})
			srv := httptest.NewUnstartedServer(f.h)
			srv.Listener = smallBufferListener{srv.Listener}
			srv.Start()
			defer srv.Close()

			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.(*net.TCPConn).SetReadBuffer(16 << 10)
			fmt.Fprintf(c, "GET /out/v1/hls1/big_1.ts HTTP/1.1\r\nHost: x\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(waitTimeout))
			br := bufio.NewReaderSize(c, 4<<10)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength != size {
				t.Fatalf("status %d, length %d", resp.StatusCode, resp.ContentLength)
			}

			if tc.cut {
				waitFor(t, "the stalled client to be cut", func() bool {
					return f.metric("boxcar_egress_write_timeouts_total", nil) == 1
				})
				n, err := io.Copy(io.Discard, resp.Body)
				if err == nil || n >= size {
					t.Fatalf("stalled client read %d of %d bytes, err %v; want the response cut short", n, size, err)
				}
				return
			}
			var n int64
			buf := make([]byte, tc.read)
			for {
				m, err := io.ReadFull(resp.Body, buf)
				n += int64(m)
				if err != nil {
					break
				}
				time.Sleep(tc.pace)
			}
			if n != size {
				t.Fatalf("steady client read %d of %d bytes", n, size)
			}
			if got := f.metric("boxcar_egress_write_timeouts_total", nil); got != 0 {
				t.Errorf("write timeouts = %v, want 0", got)
			}
		})
	}
}

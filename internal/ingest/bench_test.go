package ingest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/store"
)

// benchSegments encodes 12 s of 1280x720 25 fps H.264 + AAC at 5 Mbps as
// TS segments of segSeconds, once per segment length.
var (
	benchMu   sync.Mutex
	benchSegs = map[int][][]byte{}
)

func benchSegments(b *testing.B, segSeconds int) [][]byte {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchSegs[segSeconds]; ok {
		return s
	}
	dir := filepath.Join(fixtureDir(b), fmt.Sprintf("bench%d", segSeconds))
	os.MkdirAll(dir, 0o755)
	gop := fmt.Sprint(25 * segSeconds)
	args := []string{"-nostdin", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
		"-t", "12", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
		"-b:v", "5M", "-minrate", "5M", "-maxrate", "5M", "-bufsize", "2M", "-x264-params", "nal-hrd=cbr",
		"-c:a", "aac", "-b:a", "128k",
		"-f", "hls", "-hls_time", fmt.Sprint(segSeconds), "-hls_list_size", "0",
		"-hls_segment_filename", dir + "/s%d.ts", dir + "/index.m3u8"}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	var segs [][]byte
	for i := 0; ; i++ {
		d, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("s%d.ts", i)))
		if err != nil {
			break
		}
		segs = append(segs, d)
	}
	benchSegs[segSeconds] = segs
	return segs
}

// shiftTS returns a copy of a TS segment with every PCR, PTS and DTS moved
// by off (90 kHz), so a loop over the same segments keeps time moving.
func shiftTS(b []byte, off int64) []byte {
	out := bytes.Clone(b)
	const wrap = 1 << 33
	for i := 0; i+188 <= len(out); i += 188 {
		p := out[i : i+188]
		afc := p[3] >> 4 & 3
		pos := 4
		if afc&2 != 0 {
			alen := int(p[4])
			if alen > 0 && p[5]&0x10 != 0 && alen >= 7 {
				pcr := int64(p[6])<<25 | int64(p[7])<<17 | int64(p[8])<<9 | int64(p[9])<<1 | int64(p[10])>>7
				pcr = (pcr + off) % wrap
				p[6], p[7], p[8], p[9] = byte(pcr>>25), byte(pcr>>17), byte(pcr>>9), byte(pcr>>1)
				p[10] = p[10]&0x7f | byte(pcr&1)<<7
			}
			pos = 5 + alen
		}
		if afc&1 == 0 || p[1]&0x40 == 0 || pos+14 > 188 {
			continue
		}
		pes := p[pos:]
		if pes[0] != 0 || pes[1] != 0 || pes[2] != 1 {
			continue
		}
		flags := pes[7] >> 6
		shift := func(q []byte) {
			v := int64(q[0]>>1&7)<<30 | int64(q[1])<<22 | int64(q[2]>>1)<<15 | int64(q[3])<<7 | int64(q[4]>>1)
			v = (v + off) % wrap
			q[0] = q[0]&0xf1 | byte(v>>29)&0x0e
			q[1] = byte(v >> 22)
			q[2] = byte(v>>14) | 1
			q[3] = byte(v >> 7)
			q[4] = byte(v<<1) | 1
		}
		if flags&2 != 0 {
			shift(pes[9:14])
		}
		if flags == 3 && pos+19 <= 188 {
			shift(pes[14:19])
		}
	}
	return out
}

// BenchmarkIngest PUTs pre-encoded 5 Mbps TS segments and a playlist
// listing them in a loop through the real handler over loopback HTTP, as
// one encoder pushing one rendition does, with the timeline storing every
// segment. Reported: segment PUTs per second, MB/s of TS demuxed and
// stored per CPU second of the whole process, and response times.
func BenchmarkIngest(b *testing.B) {
	for _, segSeconds := range []int{2, 6} {
		for _, st := range []string{"file", "memory"} {
			for _, rends := range []int{1, 4} {
				b.Run(fmt.Sprintf("seg=%ds/store=%s/renditions=%d", segSeconds, st, rends), func(b *testing.B) {
					benchIngest(b, segSeconds, st, rends)
				})
			}
		}
	}
}

// benchIngest pushes rends renditions in lockstep, as a ladder encoder
// does: every iteration PUTs one segment and the playlist of each
// rendition concurrently.
func benchIngest(b *testing.B, segSeconds int, storeKind string, rends int) {
	segs := benchSegments(b, segSeconds)
	dir := b.TempDir()
	var st store.Store = store.NewMemory()
	if storeKind == "file" {
		f, err := store.NewFile(filepath.Join(dir, "media"))
		if err != nil {
			b.Fatal(err)
		}
		st = f
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := live.Open(ctx, live.Options{DataDir: dir, Store: st,
		Retention:     func(string) time.Duration { return 30 * time.Second },
		SweepInterval: 200 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	go m.Run(ctx)
	chs := &channelMap{m: map[string]*configstore.Channel{"ch1": {ID: "ch1", HLSIngest: configstore.HLSIngest{
		IngestEndpoints: []configstore.IngestEndpoint{{ID: "ep1", Username: "user1", Password: "pass1"}, {ID: "ep2", Username: "user2", Password: "pass2"}},
	}}}}
	h, err := New(Options{Channels: chs, Timelines: m, Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	go h.Run(ctx)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * rends}}

	var mu sync.Mutex
	put := func(name string, body []byte) time.Duration {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+Prefix+"ch1/ep1/"+name, bytes.NewReader(body))
		req.SetBasicAuth("user1", "pass1")
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
			b.Fatalf("PUT %s: %d", name, resp.StatusCode)
		}
		return d
	}
	var mv strings.Builder
	mv.WriteString("#EXTM3U\n")
	for r := 0; r < rends; r++ {
		fmt.Fprintf(&mv, "#EXT-X-STREAM-INF:BANDWIDTH=5500000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720\nr%d/index.m3u8\n", r)
	}
	put("channel.m3u8", []byte(mv.String()))
	cycle := int64(len(segs) * segSeconds * 90000)
	// Shifted copies are made outside the timed loop.
	const copies = 64
	shifted := make([][]byte, copies)
	var segDur, plDur []time.Duration
	var bytesIn int64
	var list []string
	seq := 0
	b.ResetTimer()
	b.StopTimer()
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		k := i % copies
		if i%copies == 0 {
			for j := range shifted {
				n := i + j
				shifted[j] = shiftTS(segs[n%len(segs)], int64(n/len(segs))*cycle+90000)
			}
		}
		data := shifted[k]
		name := fmt.Sprintf("s%d.ts", i)
		list = append(list, name)
		if len(list) > 6 {
			list = list[1:]
			seq++
		}
		var p strings.Builder
		fmt.Fprintf(&p, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n", segSeconds, seq)
		for _, s := range list {
			fmt.Fprintf(&p, "#EXTINF:%d.000000,\n%s\n", segSeconds, s)
		}
		plBody := []byte(p.String())
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		var wg sync.WaitGroup
		for r := 0; r < rends; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dir := fmt.Sprintf("r%d/", r)
				sd := put(dir+name, data)
				pd := put(dir+"index.m3u8", plBody)
				mu.Lock()
				segDur, plDur = append(segDur, sd), append(plDur, pd)
				mu.Unlock()
			}()
		}
		wg.Wait()
		wall += time.Since(t0)
		cpu += cpuTime() - c0
		b.StopTimer()
		bytesIn += int64(len(data) * rends)
	}
	status := m.Timeline("ch1").Status(time.Now())
	if status.LastSeq != uint64(b.N) || status.Gaps != 0 || status.Discontinuity != 0 {
		b.Fatalf("timeline ends at seq %d with %d gaps and %d discontinuities after %d segments", status.LastSeq, status.Gaps, status.Discontinuity, b.N)
	}
	mb := float64(bytesIn) / 1e6
	b.ReportMetric(float64(b.N*rends)/wall.Seconds(), "segPUTs/s")
	b.ReportMetric(mb/wall.Seconds(), "MB/s")
	b.ReportMetric(mb/cpu.Seconds(), "MB/cpu-s")
	b.ReportMetric(pct(segDur, 50), "segPUT-p50-ms")
	b.ReportMetric(pct(segDur, 99), "segPUT-p99-ms")
	b.ReportMetric(pct(plDur, 50), "plPUT-p50-ms")
	b.ReportMetric(pct(plDur, 99), "plPUT-p99-ms")
}

// pct is the p-th percentile of ds in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return float64(s[i].Microseconds()) / 1000
}

// cpuTime is the user+system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

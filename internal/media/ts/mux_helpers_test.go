package ts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/testutil"
)

// Test helpers for the muxer; names carry a muxt prefix because the
// demuxer tests share the package.

// muxtRun runs a tool and returns its stdout, failing the test on error.
func muxtRun(tb testing.TB, name string, args ...string) (stdout, stderr string) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, e.String())
	}
	return o.String(), e.String()
}

// muxtRequire ends the test as testutil.Need says when a tool is missing:
// skips, or fails in required mode.
func muxtRequire(tb testing.TB, tools ...testutil.Tool) {
	tb.Helper()
	for _, tool := range tools {
		testutil.Need(tb, tool)
	}
}

// muxtSource encodes test pattern and tone with ffmpeg into fMP4 HLS in dir
// and returns, per ffmpeg segment, the tracks as the fmp4 package parses
// them: Boxcar's canonical samples.
func muxtSource(tb testing.TB, dir string, args ...string) [][]MuxTrack {
	tb.Helper()
	muxtRequire(tb, testutil.FFmpeg, testutil.FFprobe)
	full := append([]string{"-v", "error", "-y"}, args...)
	full = append(full, "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "2", "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "src%d.m4s"), filepath.Join(dir, "src.m3u8"))
	muxtRun(tb, "ffmpeg", full...)
	initData, err := os.ReadFile(filepath.Join(dir, "init.mp4"))
	if err != nil {
		tb.Fatal(err)
	}
	inits, err := fmp4.ParseInit(initData)
	if err != nil {
		tb.Fatalf("ParseInit: %v", err)
	}
	var segs [][]MuxTrack
	for i := 0; ; i++ {
		data, err := os.ReadFile(filepath.Join(dir, "src"+strconv.Itoa(i)+".m4s"))
		if err != nil {
			break
		}
		got, err := fmp4.ParseSegment(data, inits)
		if err != nil {
			tb.Fatalf("ParseSegment %d: %v", i, err)
		}
		var seg []MuxTrack
		for _, it := range inits {
			for _, ts := range got {
				if ts.TrackID == it.TrackID {
					seg = append(seg, MuxTrack{Info: it.Info, Samples: ts.Samples})
				}
			}
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		tb.Fatal("ffmpeg wrote no segments")
	}
	return segs
}

// muxtFrameHashes decodes one stream of a file and returns the hash of
// each frame; any message ffmpeg logs fails the test.
func muxtFrameHashes(tb testing.TB, input, stream string) []string {
	tb.Helper()
	out, errs := muxtRun(tb, "ffmpeg", "-v", "error", "-i", input, "-map", "0:"+stream, "-f", "framemd5", "-")
	if errs != "" {
		tb.Errorf("ffmpeg decoding %s logged:\n%s", input, errs)
	}
	var hashes []string
	for _, line := range strings.Split(out, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}

// muxtCount returns the samples of kind k in a segment.
func muxtCount(seg []MuxTrack, k media.Kind) int {
	n := 0
	for _, t := range seg {
		if t.Info.Kind == k {
			n += len(t.Samples)
		}
	}
	return n
}

// muxtPacket is one parsed transport packet.
type muxtPacket struct {
	pid        uint16
	pusi, rai  bool
	cc         uint8
	hasPayload bool
	pcr        int64 // 27 MHz, -1 if none
	payload    []byte
}

func muxtParse(tb testing.TB, data []byte) []muxtPacket {
	tb.Helper()
	if len(data)%packetSize != 0 {
		tb.Fatalf("%d bytes is not a whole number of packets", len(data))
	}
	var out []muxtPacket
	for off := 0; off < len(data); off += packetSize {
		b := data[off : off+packetSize]
		if b[0] != 0x47 {
			tb.Fatalf("packet %d: sync byte 0x%02x", off/packetSize, b[0])
		}
		p := muxtPacket{pid: uint16(b[1]&0x1f)<<8 | uint16(b[2]), pusi: b[1]&0x40 != 0, cc: b[3] & 0xf, pcr: -1}
		afc := b[3] >> 4 & 3
		pos := 4
		if afc&2 != 0 {
			l := int(b[4])
			if l > 183 || afc == 3 && l > 182 {
				tb.Fatalf("packet %d: adaptation field of %d bytes", off/packetSize, l)
			}
			if l > 0 {
				p.rai = b[5]&0x40 != 0
				if b[5]&0x10 != 0 {
					base := int64(b[6])<<25 | int64(b[7])<<17 | int64(b[8])<<9 | int64(b[9])<<1 | int64(b[10]>>7)
					ext := int64(b[10]&1)<<8 | int64(b[11])
					p.pcr = base*300 + ext
				}
				for k := 6; k < 5+l; k++ {
					if p.pcr >= 0 && k < 12 {
						continue
					}
					if b[k] != 0xff {
						tb.Fatalf("packet %d: stuffing byte 0x%02x", off/packetSize, b[k])
					}
				}
			}
			pos = 5 + l
		}
		if afc&1 != 0 {
			p.hasPayload = true
			p.payload = b[pos:]
			if len(p.payload) == 0 {
				tb.Fatalf("packet %d: payload flag without payload", off/packetSize)
			}
		}
		out = append(out, p)
	}
	return out
}

// muxtPES is a PES packet reassembled from its transport packets.
type muxtPES struct {
	pid    uint16
	packet int   // index of its first packet
	pcr    int64 // last PCR before it
	rai    bool
	data   []byte
}

// muxtTimestamp decodes a 33-bit PES timestamp.
func muxtTimestamp(b []byte) int64 {
	return int64(b[0]>>1&7)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 | int64(b[3])<<7 | int64(b[4]>>1)
}

// muxtCheck checks the transport stream rules Boxcar's segments promise:
// PAT and PMT first with counter seq mod 16 and valid CRCs; per PID a
// multiple of 16 payload packets numbered 0..15 from the segment start;
// PCR on the PCR PID at most 40 ms apart and never after the DTS of a PES
// that starts; keyframe ranges covering exactly the packets of each video
// sync sample, which start with AUD and parameter sets.
func muxtCheck(tb testing.TB, r *MuxResult, seq uint64, tracks []MuxTrack) {
	tb.Helper()
	muxtCheckPCR(tb, r, seq, tracks, true)
}

// muxtCheckPCR is muxtCheck, with the PCR-before-DTS check optional: with
// video below 10 fps or audio far from video, PCR may pass an audio DTS.
func muxtCheckPCR(tb testing.TB, r *MuxResult, seq uint64, tracks []MuxTrack, pcrBeforeDTS bool) {
	tb.Helper()
	pkts := muxtParse(tb, r.Data)
	if len(pkts) < 3 || pkts[0].pid != 0 || pkts[1].pid != MuxPMTPID {
		tb.Fatalf("segment does not start with PAT and PMT")
	}
	for _, p := range pkts[:2] {
		if !p.pusi || int(p.cc) != int(seq%16) || p.payload[0] != 0 {
			tb.Errorf("PSI packet on PID %d: pusi %v cc %d, want cc %d", p.pid, p.pusi, p.cc, seq%16)
		}
		sec := p.payload[1:]
		n := 3 + (int(sec[1]&0xf)<<8 | int(sec[2]))
		if crc32MPEG2(sec[:n]) != 0 {
			tb.Errorf("PSI section on PID %d: bad CRC", p.pid)
		}
	}
	pmt := pkts[1].payload[1:]
	pcrPID := uint16(pmt[8]&0x1f)<<8 | uint16(pmt[9])

	video := false
	syncs := 0
	for _, t := range tracks {
		if t.Info.Kind == media.KindVideo && len(t.Samples) > 0 {
			video = true
			for _, s := range t.Samples {
				if s.Sync {
					syncs++
				}
			}
		}
	}
	if video && pcrPID != MuxVideoPID || !video && pcrPID != MuxAudioPID {
		tb.Errorf("PCR PID %#x", pcrPID)
	}

	next := map[uint16]int{} // payload packets seen per PID
	lastPCR := int64(-1)
	var keyStarts []int
	pes := map[uint16]*muxtPES{}
	checkPES := func(p *muxtPES) {
		if p == nil {
			return
		}
		d := p.data
		if len(d) < 14 || d[0] != 0 || d[1] != 0 || d[2] != 1 || d[6]&0xc0 != 0x80 {
			tb.Fatalf("packet %d: no PES header", p.packet)
		}
		if l := int(d[4])<<8 | int(d[5]); l != 0 && l != len(d)-6 || l == 0 && p.pid != MuxVideoPID {
			tb.Errorf("packet %d: PES_packet_length %d for %d bytes", p.packet, l, len(d)-6)
		}
		dts := muxtTimestamp(d[9:])
		if d[7]&0xc0 == 0xc0 {
			dts = muxtTimestamp(d[14:])
		}
		if diff := (dts - p.pcr/300) & (timestampWrap - 1); diff > timestampWrap/2 && pcrBeforeDTS {
			tb.Errorf("packet %d: PCR %d after DTS %d", p.packet, p.pcr/300, dts)
		}
		if p.pid == MuxVideoPID && p.rai {
			keyStarts = append(keyStarts, p.packet*packetSize)
			es := d[9+int(d[8]):]
			if !bytes.HasPrefix(es, []byte{0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1}) && !bytes.HasPrefix(es, []byte{0, 0, 0, 1, 0x46, 1, 0x50, 0, 0, 0, 1, 0x40}) {
				tb.Errorf("packet %d: keyframe does not start with AUD and parameter sets: % x", p.packet, es[:min(len(es), 12)])
			}
		}
	}
	for i, p := range pkts[2:] {
		i += 2
		if p.pid != MuxVideoPID && p.pid != MuxAudioPID {
			tb.Fatalf("packet %d on PID %#x", i, p.pid)
		}
		if p.pcr >= 0 {
			if p.pid != pcrPID {
				tb.Errorf("packet %d: PCR on PID %#x", i, p.pid)
			}
			if d := (p.pcr - lastPCR + timestampWrap*300) % (timestampWrap * 300); lastPCR >= 0 && d > 3600*300 {
				tb.Errorf("packet %d: PCR %d after %d", i, p.pcr, lastPCR)
			}
			lastPCR = p.pcr
		} else if lastPCR < 0 {
			tb.Errorf("packet %d precedes the first PCR", i)
		}
		want := uint8(next[p.pid] & 0xf)
		if !p.hasPayload {
			want = uint8((next[p.pid] + 15) & 0xf)
		}
		if p.cc != want {
			tb.Fatalf("packet %d PID %#x: cc %d, want %d", i, p.pid, p.cc, want)
		}
		if !p.hasPayload {
			continue
		}
		next[p.pid]++
		if p.pusi {
			checkPES(pes[p.pid])
			pes[p.pid] = &muxtPES{pid: p.pid, packet: i, pcr: lastPCR, rai: p.rai}
		}
		if pes[p.pid] == nil {
			tb.Fatalf("packet %d: PID %#x payload before a PES start", i, p.pid)
		}
		pes[p.pid].data = append(pes[p.pid].data, p.payload...)
	}
	for _, p := range pes {
		checkPES(p)
	}
	for pid, n := range next {
		if n%16 != 0 {
			tb.Errorf("PID %#x carries %d payload packets, not a multiple of 16", pid, n)
		}
	}
	if len(r.Keyframes) != syncs || len(keyStarts) != syncs {
		tb.Fatalf("%d keyframe ranges, %d RAI packets, %d sync samples", len(r.Keyframes), len(keyStarts), syncs)
	}
	for k, kr := range r.Keyframes {
		if kr.Offset != keyStarts[k] || kr.Length%packetSize != 0 {
			tb.Errorf("keyframe %d range %+v, want offset %d", k, kr, keyStarts[k])
		}
		// The range ends where the next video PES (or the data) starts.
		end := kr.Offset + kr.Length
		for off := kr.Offset + packetSize; off < end; off += packetSize {
			if p := pkts[off/packetSize]; p.pid == MuxVideoPID && p.pusi {
				tb.Errorf("keyframe %d range holds another video PES", k)
			}
		}
		for off := end; off < len(r.Data); off += packetSize {
			p := pkts[off/packetSize]
			if p.pid == MuxVideoPID && p.hasPayload {
				if !p.pusi {
					tb.Errorf("keyframe %d range ends before its last packet", k)
				}
				break
			}
		}
	}
}

func writeFile(name string, data []byte) error { return os.WriteFile(name, data, 0o644) }

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

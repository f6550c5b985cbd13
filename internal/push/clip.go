package push

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/Eyevinn/mp4ff/mp4"

	"boxcar/internal/demo/clip"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
)

// ErrClip reports a clip that cannot be looped: no video, an unsupported
// codec, renditions whose keyframes do not line up.
var ErrClip = errors.New("push: unusable clip")

// Limits on a clip: it is held in memory, and a looping test source needs
// seconds, not hours, of media.
const (
	maxClipFileBytes = 1 << 30
	// maxTrackSamples is 46 hours at 25 frames per second; a damaged
	// sample table may claim billions.
	maxTrackSamples = 1 << 22
)

// Clip is the media a push loops: video renditions and at most one audio
// track, as canonical samples. A Clip is not modified by the push and may be
// shared by concurrent pushes.
type Clip struct {
	// Video holds the video renditions in input order: every video track
	// of every file.
	Video []Track
	// Audio is the first audio track found, nil for none. Further audio
	// tracks (a ladder whose files each carry the same audio) are ignored.
	Audio *Track
}

// Track is one elementary stream of a clip.
type Track struct {
	// Name says where the track came from: "file.mp4#2" (track_ID 2).
	Name string
	Info media.TrackInfo
	// Samples in decode order, in Info.Timescale (90 kHz for video, the
	// sample rate for audio), with the file's edit list applied so that
	// the tracks of one file present in step. Video samples carry NAL
	// units with 4-byte lengths.
	Samples []media.Sample
}

// LoadFiles reads a clip from MP4 files on disk.
func LoadFiles(names ...string) (*Clip, error) {
	files := make([]ClipFile, len(names))
	for i, n := range names {
		st, err := os.Stat(n)
		if err != nil {
			return nil, fmt.Errorf("push: clip: %w", err)
		}
		if st.Size() > maxClipFileBytes {
			return nil, fmt.Errorf("push: clip: %s is %d bytes, more than the %d a looping source may have", n, st.Size(), maxClipFileBytes)
		}
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("push: clip: %w", err)
		}
		files[i] = ClipFile{Name: n, Data: b}
	}
	return ReadClip(files...)
}

// DemoClip returns the built-in clip (internal/demo/clip): three H.264
// renditions (960x540, 640x360, 416x234) and AAC audio, 8 s, 2 s GOPs.
func DemoClip() (*Clip, error) {
	var names []string
	for _, r := range clip.Renditions() {
		names = append(names, r.File)
	}
	return LoadFS(clip.FS(), append(names, clip.AudioFile)...)
}

// LoadFS reads a clip from MP4 files in fsys (e.g. an embed.FS).
func LoadFS(fsys fs.FS, names ...string) (*Clip, error) {
	files := make([]ClipFile, len(names))
	for i, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("push: clip: %w", err)
		}
		files[i] = ClipFile{Name: n, Data: b}
	}
	return ReadClip(files...)
}

// ClipFile is one MP4 file of a clip.
type ClipFile struct {
	Name string
	Data []byte
}

// ReadClip reads the video and audio tracks of MP4 files (progressive, or
// fragmented with a moov and moof/mdat pairs), in order. Sample data
// aliases the files' data.
func ReadClip(files ...ClipFile) (*Clip, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no input files", ErrClip)
	}
	c := &Clip{}
	for _, f := range files {
		tracks, err := readMP4(f)
		if err != nil {
			return nil, fmt.Errorf("push: clip: %s: %w", f.Name, err)
		}
		for _, t := range tracks {
			switch t.Info.Kind {
			case media.KindVideo:
				c.Video = append(c.Video, t)
			case media.KindAudio:
				if c.Audio == nil {
					c.Audio = &t
				}
			}
		}
	}
	if len(c.Video) == 0 {
		return nil, fmt.Errorf("%w: no video track in %d file(s)", ErrClip, len(files))
	}
	return c, nil
}

// readMP4 returns the video and audio tracks of one file.
func readMP4(f ClipFile) (_ []Track, err error) {
	// mp4ff trusts the sizes and counts in its input and can index out of
	// range on a damaged file (found by FuzzReadClip): make that an error.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: damaged MP4 file (%v)", ErrClip, p)
		}
	}()
	// The codec configurations come from the same parser ingest uses, so
	// a clip's TrackInfo is exactly what Boxcar makes of an encoder's.
	inits, err := fmp4.ParseInit(f.Data)
	if err != nil {
		return nil, err
	}
	file, err := mp4.DecodeFile(bytes.NewReader(f.Data), mp4.WithDecodeMode(mp4.DecModeLazyMdat))
	if err != nil {
		return nil, fmt.Errorf("decode mp4: %w", err)
	}
	if file.Moov == nil {
		return nil, fmt.Errorf("%w: no moov box", ErrClip)
	}
	if file.IsFragmented() {
		// Fragment sample data is read from the mdat boxes.
		if file, err = mp4.DecodeFile(bytes.NewReader(f.Data)); err != nil {
			return nil, fmt.Errorf("decode mp4: %w", err)
		}
	}
	movieTimescale := uint32(1000)
	if file.Moov.Mvhd != nil && file.Moov.Mvhd.Timescale != 0 {
		movieTimescale = file.Moov.Mvhd.Timescale
	}
	var out []Track
	for _, it := range inits {
		trak := findTrak(file.Moov, it.TrackID)
		if trak == nil {
			return nil, fmt.Errorf("%w: track %d has no trak", ErrClip, it.TrackID)
		}
		var raw []rawSample
		if file.IsFragmented() {
			raw, err = fragmentSamples(file, it.TrackID)
		} else {
			raw, err = progressiveSamples(trak, f.Data)
		}
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", it.TrackID, err)
		}
		if len(raw) == 0 {
			continue
		}
		shift := editShift(trak, movieTimescale, it.Timescale)
		t := Track{Name: fmt.Sprintf("%s#%d", path.Base(f.Name), it.TrackID), Info: it.Info}
		if t.Samples, err = canonicalSamples(raw, shift, it); err != nil {
			return nil, fmt.Errorf("track %d: %w", it.TrackID, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func findTrak(moov *mp4.MoovBox, id uint32) *mp4.TrakBox {
	for _, t := range moov.Traks {
		if t.Tkhd != nil && t.Tkhd.TrackID == id {
			return t
		}
	}
	return nil
}

// rawSample is a sample in its track's media timescale.
type rawSample struct {
	dts  int64
	dur  uint32
	cto  int32
	sync bool
	data []byte
}

// progressiveSamples reads a track's sample table (stts, ctts, stss, stsz,
// stsc, stco/co64) and slices the sample data out of data.
func progressiveSamples(trak *mp4.TrakBox, data []byte) ([]rawSample, error) {
	if trak.Mdia == nil || trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil {
		return nil, fmt.Errorf("%w: no sample table", ErrClip)
	}
	stbl := trak.Mdia.Minf.Stbl
	if stbl.Stsz == nil || stbl.Stts == nil || stbl.Stsc == nil || (stbl.Stco == nil && stbl.Co64 == nil) {
		return nil, fmt.Errorf("%w: incomplete sample table", ErrClip)
	}
	n := stbl.Stsz.GetNrSamples()
	if n == 0 {
		return nil, nil
	}
	if n > maxTrackSamples {
		return nil, fmt.Errorf("%w: %d samples, more than the %d a looping source may have", ErrClip, n, maxTrackSamples)
	}
	chunks, err := stbl.Stsc.GetContainingChunks(1, n)
	if err != nil {
		return nil, fmt.Errorf("%w: stsc: %w", ErrClip, err)
	}
	out := make([]rawSample, 0, n)
	var dts int64
	for _, ch := range chunks {
		var off uint64
		if stbl.Stco != nil {
			off, err = stbl.Stco.GetOffset(int(ch.ChunkNr))
		} else {
			off, err = stbl.Co64.GetOffset(int(ch.ChunkNr))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: chunk offset: %w", ErrClip, err)
		}
		for nr := ch.StartSampleNr; nr < ch.StartSampleNr+ch.NrSamples && nr <= n; nr++ {
			size := uint64(stbl.Stsz.GetSampleSize(int(nr)))
			if off+size > uint64(len(data)) {
				return nil, fmt.Errorf("%w: sample %d lies beyond the end of the file", ErrClip, nr)
			}
			s := rawSample{dts: dts, dur: stbl.Stts.GetDur(nr), data: data[off : off+size : off+size], sync: true}
			if stbl.Ctts != nil {
				s.cto = stbl.Ctts.GetCompositionTimeOffset(nr)
			}
			if stbl.Stss != nil {
				s.sync = stbl.Stss.IsSyncSample(nr)
			}
			out = append(out, s)
			dts += int64(s.dur)
			off += size
		}
	}
	if uint32(len(out)) != n {
		return nil, fmt.Errorf("%w: sample table lists %d samples in chunks, %d in stsz", ErrClip, len(out), n)
	}
	return out, nil
}

// fragmentSamples collects a track's samples from every fragment.
func fragmentSamples(file *mp4.File, id uint32) ([]rawSample, error) {
	var trex *mp4.TrexBox
	if file.Moov.Mvex != nil {
		for _, t := range file.Moov.Mvex.Trexs {
			if t.TrackID == id {
				trex = t
			}
		}
	}
	if trex == nil {
		trex = &mp4.TrexBox{TrackID: id}
	}
	var out []rawSample
	for _, seg := range file.Segments {
		for _, frag := range seg.Fragments {
			full, err := frag.GetFullSamples(trex)
			if err != nil {
				return nil, fmt.Errorf("%w: fragment: %w", ErrClip, err)
			}
			for _, s := range full {
				out = append(out, rawSample{
					dts: int64(s.DecodeTime), dur: s.Dur, cto: s.CompositionTimeOffset,
					sync: !mp4.DecodeSampleFlags(s.Flags).SampleIsNonSync, data: s.Data,
				})
			}
		}
	}
	return out, nil
}

// editShift returns what to add to a track's media times to get its
// presentation times per its edit list (ISO/IEC 14496-12 §8.6.6): minus the
// media time of the first non-empty edit, plus any empty edit before it.
// Only that common shape (an optional empty edit, then one edit at rate 1)
// is honoured; anything else is ignored.
func editShift(trak *mp4.TrakBox, movieTimescale, mediaTimescale uint32) int64 {
	if trak.Edts == nil || len(trak.Edts.Elst) == 0 {
		return 0
	}
	var shift int64
	for _, e := range trak.Edts.Elst[0].Entries {
		if e.MediaTime == -1 {
			shift += media.Rescale(int64(e.SegmentDuration), movieTimescale, mediaTimescale)
			continue
		}
		return shift - e.MediaTime
	}
	return 0
}

// canonicalSamples converts a track's samples to the canonical model: times
// in Info.Timescale (rescaled from the media timescale on the running sum,
// so durations do not drift), the edit shift applied, video NAL lengths of
// 4 bytes, audio all sync.
func canonicalSamples(raw []rawSample, shift int64, it fmp4.InitTrack) ([]media.Sample, error) {
	from, to := it.Timescale, it.Info.Timescale
	video := it.Info.Kind == media.KindVideo
	out := make([]media.Sample, len(raw))
	for i, r := range raw {
		dts := rescale(r.dts+shift, from, to)
		end := rescale(r.dts+shift+int64(r.dur), from, to)
		pts := rescale(r.dts+shift+int64(r.cto), from, to)
		if end < dts {
			return nil, fmt.Errorf("%w: sample %d has a negative duration", ErrClip, i)
		}
		s := media.Sample{DTS: dts, PTSOffset: int32(pts - dts), Duration: uint32(end - dts), Sync: r.sync || !video, Data: r.data}
		if video && it.LengthSize != 4 {
			d, err := toLength4(r.data, it.LengthSize)
			if err != nil {
				return nil, fmt.Errorf("%w: sample %d: %w", ErrClip, i, err)
			}
			s.Data = d
		}
		out[i] = s
	}
	return out, nil
}

// toLength4 rewrites NAL units prefixed by size-byte lengths to 4-byte ones.
func toLength4(b []byte, size int) ([]byte, error) {
	if size < 1 || size > 4 {
		return nil, fmt.Errorf("NAL length size %d", size)
	}
	var out []byte
	for pos := 0; pos < len(b); {
		if len(b)-pos < size {
			return nil, errors.New("truncated NAL unit length")
		}
		n := 0
		for _, c := range b[pos : pos+size] {
			n = n<<8 | int(c)
		}
		pos += size
		if n > len(b)-pos {
			return nil, errors.New("NAL unit runs past the sample")
		}
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = append(out, b[pos:pos+n]...)
		pos += n
	}
	return out, nil
}

// rescale is media.Rescale rounding negative times symmetrically, so a
// time and its negation convert to opposite values.
func rescale(t int64, from, to uint32) int64 {
	if t < 0 {
		return -media.Rescale(-t, from, to)
	}
	return media.Rescale(t, from, to)
}

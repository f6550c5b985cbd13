package fmp4

import (
	"encoding/binary"
	"fmt"
	"math"

	"boxcar/internal/media"
)

// Sample flags written by WriteFragment (ISO/IEC 14496-12 §8.8.3.1).
const (
	flagsSync    = 0x02000000 // depends on no other sample
	flagsNonSync = 0x01010000 // depends on others, not a sync sample
)

// Sizes of the fixed parts of a fragment written by AppendFragment.
const (
	mfhdSize       = 16
	tfhdSize       = 16 // track_ID only
	tfdtSize       = 20 // version 1
	trunHeaderSize = 20 // FullBox + sample_count + data_offset
)

// FragmentSize returns the size of the fragment WriteFragment writes for
// samples.
func FragmentSize(samples []media.Sample) int {
	n, _ := fragmentLayout(samples)
	return n
}

func fragmentLayout(samples []media.Sample) (size int, ctts bool) {
	data := 0
	for i := range samples {
		data += len(samples[i].Data)
		ctts = ctts || samples[i].PTSOffset != 0
	}
	rec := 12
	if ctts {
		rec = 16
	}
	return 8 + mfhdSize + 8 + tfhdSize + tfdtSize + trunHeaderSize + rec*len(samples) + 8 + data, ctts
}

// WriteFragment writes one CMAF fragment of a track: moof (mfhd with seq;
// traf with tfhd default-base-is-moof, tfdt version 1, and a trun with a
// data offset and per-sample duration, size, flags and, when any sample has
// one, version 1 signed composition offsets) followed by mdat. Sample
// times are in the track's timescale (the one WriteInit wrote) and DTS must
// increase. A fragment stores only the first decode time, so each written
// duration is the distance to the next sample's DTS (a gap lengthens the
// sample before it); the last sample keeps its Duration.
func WriteFragment(seq uint32, trackID uint32, samples []media.Sample) ([]byte, error) {
	return AppendFragment(nil, seq, trackID, samples)
}

// AppendFragment is WriteFragment appending to dst. With enough capacity in
// dst (FragmentSize) it does not allocate.
func AppendFragment(dst []byte, seq uint32, trackID uint32, samples []media.Sample) ([]byte, error) {
	if len(samples) == 0 {
		return dst, fmt.Errorf("fmp4: write fragment: no samples")
	}
	if samples[0].DTS < 0 {
		return dst, fmt.Errorf("fmp4: write fragment: negative decode time %d", samples[0].DTS)
	}
	for i := 1; i < len(samples); i++ {
		if d := samples[i].DTS - samples[i-1].DTS; d <= 0 || d > math.MaxUint32 {
			return dst, fmt.Errorf("fmp4: write fragment: sample %d has DTS %d after %d", i, samples[i].DTS, samples[i-1].DTS)
		}
	}
	size, ctts := fragmentLayout(samples)
	if size > math.MaxUint32 {
		return dst, fmt.Errorf("fmp4: write fragment: %d bytes is too large", size)
	}
	rec := 12
	trunVersion, trunFlags := uint32(0), uint32(trunDataOffset|trunSampleDuration|trunSampleSize|trunSampleFlags)
	if ctts {
		rec, trunVersion, trunFlags = 16, 1, trunFlags|trunSampleCompositionTO
	}
	trunSize := trunHeaderSize + rec*len(samples)
	trafSize := 8 + tfhdSize + tfdtSize + trunSize
	moofSize := 8 + mfhdSize + trafSize
	mdatSize := size - moofSize

	start := len(dst)
	if cap(dst)-start < size {
		grown := make([]byte, start, start+size)
		copy(grown, dst)
		dst = grown
	}
	b := dst[start : start+size]
	be := binary.BigEndian
	p := 0
	putHeader := func(size int, typ uint32) {
		be.PutUint32(b[p:], uint32(size))
		be.PutUint32(b[p+4:], typ)
		p += 8
	}
	putHeader(moofSize, typMoof)
	putHeader(mfhdSize, typMfhd)
	be.PutUint32(b[p:], 0)
	be.PutUint32(b[p+4:], seq)
	p += 8
	putHeader(trafSize, typTraf)
	putHeader(tfhdSize, typTfhd)
	be.PutUint32(b[p:], tfhdDefaultBaseIsMoof)
	be.PutUint32(b[p+4:], trackID)
	p += 8
	putHeader(tfdtSize, typTfdt)
	be.PutUint32(b[p:], 1<<24)
	be.PutUint64(b[p+4:], uint64(samples[0].DTS))
	p += 12
	putHeader(trunSize, typTrun)
	be.PutUint32(b[p:], trunVersion<<24|trunFlags)
	be.PutUint32(b[p+4:], uint32(len(samples)))
	be.PutUint32(b[p+8:], uint32(moofSize+8)) // data starts after the mdat header
	p += 12
	for i := range samples {
		s := &samples[i]
		dur := s.Duration
		if i+1 < len(samples) {
			dur = uint32(samples[i+1].DTS - s.DTS)
		}
		be.PutUint32(b[p:], dur)
		be.PutUint32(b[p+4:], uint32(len(s.Data)))
		if s.Sync {
			be.PutUint32(b[p+8:], flagsSync)
		} else {
			be.PutUint32(b[p+8:], flagsNonSync)
		}
		if ctts {
			be.PutUint32(b[p+12:], uint32(s.PTSOffset))
		}
		p += rec
	}
	putHeader(mdatSize, typMdat)
	for i := range samples {
		p += copy(b[p:], samples[i].Data)
	}
	return dst[:start+size], nil
}

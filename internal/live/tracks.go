package live

import (
	"context"
	"fmt"
	"hash/crc32"
	"sort"

	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
)

// Tracks: a channel's elementary streams, their codec configurations (init
// versions) and the fragments stored for them.

func (t *Timeline) findTrack(rendition, key string) *Track {
	for _, tr := range t.tracks {
		if tr.Rendition == rendition && tr.Key == key {
			return tr
		}
	}
	return nil
}

func (t *Timeline) trackByID(id int) *Track {
	for _, tr := range t.tracks {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// resolveTrack returns the track for an ingest track, creating it or a
// new init version (copy on write) when its configuration changed.
func (t *Timeline) resolveTrack(rendition string, it *IngestTrack) (tr *Track, initIdx int, newInit bool) {
	tr = t.findTrack(rendition, it.Key)
	if tr != nil && infoEqual(&tr.Latest().Info, &it.Info) {
		return tr, len(tr.Inits) - 1, false
	}
	var nt Track
	if tr == nil {
		nt = Track{ID: t.st.NextTrackID, Rendition: rendition, Key: it.Key, Kind: it.Info.Kind}
		t.st.NextTrackID++
	} else {
		nt = *tr
		nt.Inits = append([]Init(nil), tr.Inits...)
	}
	idx := len(nt.Inits)
	nt.Inits = append(nt.Inits, Init{Info: it.Info, StoreKey: fmt.Sprintf("media/%s/init/%d_%d.mp4", t.id, nt.ID, idx)})
	tracks := make([]*Track, 0, len(t.tracks)+1)
	for _, x := range t.tracks {
		if x.ID != nt.ID {
			tracks = append(tracks, x)
		}
	}
	tracks = append(tracks, &nt)
	sort.Slice(tracks, func(a, b int) bool { return tracks[a].ID < tracks[b].ID })
	t.tracks = tracks
	return &nt, idx, true
}

func infoEqual(a, b *media.TrackInfo) bool {
	if a.Kind != b.Kind || a.Codec != b.Codec || a.Timescale != b.Timescale || a.Width != b.Width || a.Height != b.Height ||
		a.SampleRate != b.SampleRate || a.Channels != b.Channels || a.Language != b.Language ||
		string(a.AudioConfig) != string(b.AudioConfig) {
		return false
	}
	eq := func(x, y [][]byte) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if string(x[i]) != string(y[i]) {
				return false
			}
		}
		return true
	}
	return eq(a.VPS, b.VPS) && eq(a.SPS, b.SPS) && eq(a.PPS, b.PPS)
}

// writeFragment stores a track's init (when new) and the fragment made of
// the ingest samples moved to channel time.
func (t *Timeline) writeFragment(ctx context.Context, tr *Track, initIdx int, newInit bool, it *IngestTrack, offset int64, seq uint64) (Fragment, error) {
	info := &tr.Inits[initIdx].Info
	if newInit {
		b, err := fmp4.WriteInit(uint32(tr.ID), *info)
		if err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: write init: %w", t.id, tr.ID, err)
		}
		if err := t.m.store.Put(ctx, tr.Inits[initIdx].StoreKey, b); err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: store init: %w", t.id, tr.ID, err)
		}
	}
	shift := media.Rescale(offset, media.VideoTimescale, info.Timescale)
	samples := make([]media.Sample, len(it.Samples))
	copy(samples, it.Samples)
	for i := range samples {
		samples[i].DTS += shift
	}
	b, err := fmp4.WriteFragment(uint32(seq), uint32(tr.ID), samples)
	if err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: write fragment: %w", t.id, tr.ID, err)
	}
	key := fmt.Sprintf("media/%s/%d/%d.m4s", t.id, tr.ID, seq)
	if err := t.m.store.Put(ctx, key, b); err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: store fragment: %w", t.id, tr.ID, err)
	}
	last := samples[len(samples)-1]
	return Fragment{
		Track:    tr.ID,
		Init:     initIdx,
		StoreKey: key,
		Size:     len(b),
		DTS:      samples[0].DTS,
		Duration: last.DTS + int64(last.Duration) - samples[0].DTS,
		Samples:  len(samples),
		CRC32:    crc32.ChecksumIEEE(b),
	}, nil
}

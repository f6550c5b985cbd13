package live

import (
	"fmt"
	"sort"

	"boxcar/internal/media"
)

// Tracks: a channel's elementary streams, their codec configurations (init
// versions) and the fragments stored for them.

func (c *core) findTrack(rendition, key string) *Track {
	for _, tr := range c.tracks {
		if tr.Rendition == rendition && tr.Key == key {
			return tr
		}
	}
	return nil
}

func (c *core) trackByID(id int) *Track {
	for _, tr := range c.tracks {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// resolveTrack returns the track for an ingest track, creating it or a
// new init version (copy on write) when its configuration changed.
func (c *core) resolveTrack(rendition string, it *IngestTrack) (tr *Track, initIdx int, newInit bool) {
	tr = c.findTrack(rendition, it.Key)
	if tr != nil && tr.Latest().Info.Equal(&it.Info) {
		return tr, len(tr.Inits) - 1, false
	}
	var nt Track
	if tr == nil {
		nt = Track{ID: c.st.NextTrackID, Rendition: rendition, Key: it.Key, Kind: it.Info.Kind}
		c.st.NextTrackID++
	} else {
		nt = *tr
		nt.Inits = append([]Init(nil), tr.Inits...)
	}
	idx := len(nt.Inits)
	nt.Inits = append(nt.Inits, Init{Info: it.Info, StoreKey: initKey(c.id, nt.ID, idx)})
	tracks := make([]*Track, 0, len(c.tracks)+1)
	for _, x := range c.tracks {
		if x.ID != nt.ID {
			tracks = append(tracks, x)
		}
	}
	tracks = append(tracks, &nt)
	sort.Slice(tracks, func(a, b int) bool { return tracks[a].ID < tracks[b].ID })
	c.tracks = tracks
	return &nt, idx, true
}

// initKey is the media store key of init version idx of a track.
func initKey(channel string, track, idx int) string {
	return fmt.Sprintf("media/%s/init/%d_%d.mp4", channel, track, idx)
}

// fragmentKey is the media store key of a track's fragment in slot seq.
func fragmentKey(channel string, track int, seq uint64) string {
	return fmt.Sprintf("media/%s/%d/%d.m4s", channel, track, seq)
}

// shiftSamples returns a copy of samples moved by shift (in their
// timescale).
func shiftSamples(in []media.Sample, shift int64) []media.Sample {
	out := make([]media.Sample, len(in))
	copy(out, in)
	for i := range out {
		out[i].DTS += shift
	}
	return out
}

// fragmentOf describes the fragment of samples stored for a track in slot
// seq; the shell adds its size and checksum once written.
func fragmentOf(channel string, track, init int, seq uint64, samples []media.Sample) Fragment {
	last := samples[len(samples)-1]
	return Fragment{
		Track:    track,
		Init:     init,
		StoreKey: fragmentKey(channel, track, seq),
		DTS:      samples[0].DTS,
		Duration: last.DTS + int64(last.Duration) - samples[0].DTS,
		Samples:  len(samples),
	}
}

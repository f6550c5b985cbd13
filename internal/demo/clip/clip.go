// Package clip holds the demo clip that `boxcar demo` loops as an endless
// live stream: three H.264 renditions and one AAC track of exactly 8 seconds,
// each a fragmented MP4 (CMAF track file) with one fragment per 2-second GOP
// (about 2 seconds for audio). Every track's samples start at decode time 0
// and there are no edit lists, so loop n of a track is its samples with n
// times the clip duration added to their decode times. README.md describes
// the encodings; scripts/make-demo-clip.sh regenerates the files.
package clip

import (
	"embed"
	"io/fs"

	"boxcar/internal/media"
)

//go:embed v540.mp4 v360.mp4 v234.mp4 audio.mp4
var files embed.FS

// Clip-wide facts, in the tracks' own timescales.
const (
	// Seconds is the duration of every track.
	Seconds = 8
	// VideoTimescale is the video tracks' timescale (ticks per second):
	// the channel timeline's, so video needs no rescaling.
	VideoTimescale = media.VideoTimescale
	// FrameDuration is one video frame (25 fps), in VideoTimescale ticks.
	FrameDuration = 3600
	// GOPFrames is the distance between keyframes: every GOP is closed and
	// starts with an IDR frame, every 2 seconds.
	GOPFrames = 50
	// AudioTimescale is the audio track's timescale, its sample rate.
	AudioTimescale = 48000
	// AudioFrameDuration is one AAC frame, in AudioTimescale ticks.
	AudioFrameDuration = 1024
	// AudioFile is the audio track's file.
	AudioFile = "audio.mp4"
)

// A Rendition is one video track of the clip.
type Rendition struct {
	File          string
	Width, Height int
	Bitrate       int // target, bits per second
}

// Renditions returns the video renditions, highest first.
func Renditions() []Rendition {
	return []Rendition{
		{File: "v540.mp4", Width: 960, Height: 540, Bitrate: 600_000},
		{File: "v360.mp4", Width: 640, Height: 360, Bitrate: 350_000},
		{File: "v234.mp4", Width: 416, Height: 234, Bitrate: 180_000},
	}
}

// FS returns the clip's files: the Renditions' files and AudioFile.
func FS() fs.FS { return files }

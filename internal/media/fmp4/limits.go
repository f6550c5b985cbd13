package fmp4

// Limits on untrusted input. Each is far above what a live encoder sends and
// low enough that a hostile upload cannot make Boxcar allocate without bound.
const (
	// maxTracks bounds the tracks of one init segment: an encoder pushes
	// one rendition per stream, a muxed one a handful.
	maxTracks = 32
	// maxSamples bounds the samples of one ParseSegment or ParseFragment
	// call: 65536 samples are over 20 minutes of 48 kHz AAC or 60 fps
	// video, where segments last seconds.
	maxSamples = 1 << 16
	// maxParameterSets bounds the SPS, PPS or VPS of one configuration
	// record or access unit (H.264 allows 32 SPS and 256 PPS ids; encoders
	// send one of each).
	maxParameterSets = 64
	// maxAudioConfig bounds an AudioSpecificConfig or dac3/dec3 payload;
	// real ones are 2 to a few dozen bytes.
	maxAudioConfig = 256
	// maxMediaSeconds bounds media times (in seconds) so that rescaling
	// to a canonical timescale (at most maxSampleRate) cannot overflow
	// int64: 2^40 s is about 35 millennia.
	maxMediaSeconds = 1 << 40
	// maxSampleRate bounds audio sample rates, and so canonical
	// timescales (E-AC-3 and AAC top out at 96 kHz).
	maxSampleRate = 1 << 20
)

package codec

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/aac"
)

// AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): the one place Boxcar
// reads it. Full parsing is delegated to github.com/Eyevinn/mp4ff/aac;
// audioObjectType alone is read here for codec strings, which name object
// types mp4ff does not decode.

// AACConfig is what Boxcar reads from an AudioSpecificConfig.
type AACConfig struct {
	// ObjectType is the signalled audioObjectType: 2 AAC-LC, 5 SBR
	// (HE-AAC), 29 PS (HE-AAC v2); the core is AAC-LC in every case.
	ObjectType int
	// CoreSampleRate is the sampling frequency of the AAC-LC core.
	CoreSampleRate int
	// SampleRate is the output rate: the SBR extension rate when SBR is
	// signalled with a non-zero one, else the core rate.
	SampleRate int
	// ChannelConfig is channel_configuration (0 means a program config
	// element).
	ChannelConfig int
	// Channels is the output channel count: from ChannelConfig (7 is 7.1,
	// 8 channels; 0 and reserved values give 0), 2 with parametric stereo.
	Channels int
}

// ParseAACConfig parses an AudioSpecificConfig of AAC-LC, HE-AAC or
// HE-AAC v2 with explicit SBR/PS signalling. An explicit sampling
// frequency of 0 is an error.
func ParseAACConfig(asc []byte) (AACConfig, error) {
	c, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(asc))
	if err != nil {
		return AACConfig{}, fmt.Errorf("codec: audio specific config %x: %w", asc, err)
	}
	if c.SamplingFrequency == 0 {
		return AACConfig{}, fmt.Errorf("codec: audio specific config %x: sampling frequency 0", asc)
	}
	cfg := AACConfig{
		ObjectType:     int(c.ObjectType),
		CoreSampleRate: c.SamplingFrequency,
		SampleRate:     c.SamplingFrequency,
		ChannelConfig:  int(c.ChannelConfiguration),
		Channels:       aacChannels(int(c.ChannelConfiguration)),
	}
	if c.SBRPresentFlag && c.ExtensionFrequency > 0 {
		cfg.SampleRate = c.ExtensionFrequency
	}
	if c.PSPresentFlag {
		cfg.Channels = 2
	}
	return cfg, nil
}

// aacChannels returns the channel count of a channel_configuration
// (ISO/IEC 14496-3 Table 1.19): 1-6 channels, 7 is 7.1; 0 (a program
// config element) and reserved values give 0.
func aacChannels(channelConfig int) int {
	switch {
	case channelConfig >= 1 && channelConfig <= 6:
		return channelConfig
	case channelConfig == 7:
		return 8
	}
	return 0
}

// audioObjectType reads audioObjectType from an AudioSpecificConfig
// (ISO/IEC 14496-3 §1.6.2.1): 5 bits, 31 escapes to 32 + 6 more bits.
// Explicitly signalled SBR (5) and PS (29) come first in the ASC and are
// returned as such.
func audioObjectType(asc []byte) (int, bool) {
	if len(asc) < 1 {
		return 0, false
	}
	aot := int(asc[0] >> 3)
	if aot == 31 {
		if len(asc) < 2 {
			return 0, false
		}
		aot = 32 + (int(asc[0]&0x07)<<3 | int(asc[1]>>5))
	}
	if aot == 0 {
		return 0, false
	}
	return aot, true
}

package codec

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// ErrNoSync is returned when a frame header does not start with its sync word.
var ErrNoSync = errors.New("codec: no sync word")

// ADTSHeaderSize is the size of an ADTS header without CRC.
const ADTSHeaderSize = 7

// aacSampleRate maps sampling_frequency_index (ISO/IEC 14496-3 Table
// 1.18) to a rate; 13 and 14 are reserved, 15 (explicit) is not allowed in
// ADTS: 0 for those.
func aacSampleRate(sfi int) int {
	rates := [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}
	if sfi < 0 || sfi >= len(rates) {
		return 0
	}
	return rates[sfi]
}

// ADTSHeader is the fixed and variable header of one ADTS frame
// (ISO/IEC 13818-7 §6.2, ISO/IEC 14496-3 §1.A.2).
type ADTSHeader struct {
	// ObjectType is the MPEG-4 audio object type: profile + 1 (2 = AAC-LC).
	ObjectType int
	SampleRate int
	// ChannelConfig is channel_configuration: 1-6 channels, 7 is 7.1
	// (8 channels); 0 means a program_config_element in the payload.
	ChannelConfig int
	// HeaderSize is 7, or 9 when a CRC follows the header.
	HeaderSize int
	// FrameSize is aac_frame_length: header plus payload.
	FrameSize int
	// RawBlocks is number_of_raw_data_blocks_in_frame + 1.
	RawBlocks int
}

// Channels returns the channel count of the channel configuration, 0 when
// it is defined by a program config element.
func (h ADTSHeader) Channels() int {
	return aacChannels(h.ChannelConfig)
}

// ParseADTSHeader parses the ADTS header at the start of b. Only the header
// (7 bytes) needs to be present; FrameSize says how long the frame is.
func ParseADTSHeader(b []byte) (ADTSHeader, error) {
	if len(b) < ADTSHeaderSize {
		return ADTSHeader{}, fmt.Errorf("codec: adts header: %d bytes, need %d", len(b), ADTSHeaderSize)
	}
	if b[0] != 0xff || b[1]&0xf0 != 0xf0 {
		return ADTSHeader{}, fmt.Errorf("codec: adts header: %w", ErrNoSync)
	}
	if b[1]&0x06 != 0 {
		return ADTSHeader{}, fmt.Errorf("codec: adts header: layer %d, want 0", (b[1]>>1)&3)
	}
	h := ADTSHeader{
		ObjectType:    int(b[2]>>6) + 1,
		ChannelConfig: int(b[2]&1)<<2 | int(b[3]>>6),
		HeaderSize:    ADTSHeaderSize,
		FrameSize:     int(b[3]&0x03)<<11 | int(b[4])<<3 | int(b[5]>>5),
		RawBlocks:     int(b[6]&0x03) + 1,
	}
	if b[1]&0x01 == 0 {
		h.HeaderSize = ADTSHeaderSize + 2 // crc_check
	}
	sfi := int(b[2]>>2) & 0x0f
	if h.SampleRate = aacSampleRate(sfi); h.SampleRate == 0 {
		return ADTSHeader{}, fmt.Errorf("codec: adts header: reserved sampling frequency index %d", sfi)
	}
	if h.FrameSize <= h.HeaderSize {
		return ADTSHeader{}, fmt.Errorf("codec: adts header: frame length %d not above header size %d", h.FrameSize, h.HeaderSize)
	}
	return h, nil
}

// AudioSpecificConfig returns the 2-byte AudioSpecificConfig the header
// describes (ISO/IEC 14496-3 §1.6.2.1), e.g. 0x1190 for AAC-LC 48 kHz stereo.
func (h ADTSHeader) AudioSpecificConfig() ([]byte, error) {
	asc := mpeg4audio.AudioSpecificConfig{
		Type:          mpeg4audio.ObjectType(h.ObjectType),
		SampleRate:    h.SampleRate,
		ChannelConfig: uint8(h.ChannelConfig),
	}
	b, err := asc.Marshal()
	if err != nil {
		return nil, fmt.Errorf("codec: audio specific config: %w", err)
	}
	return b, nil
}

package codec

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	mcbits "github.com/bluenviron/mediacommon/v2/pkg/bits"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/ac3"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/eac3"
)

// AC-3 and E-AC-3 (ETSI TS 102 366) syncframe headers and the dac3/dec3
// sample entry payloads built from them.

// AC3SamplesPerFrame is the number of audio samples per channel in an AC-3
// syncframe (6 blocks of 256).
const AC3SamplesPerFrame = 1536

// ac3MinHeader is how much of a syncframe the header parsers read: syncinfo
// (5 bytes) and the start of bsi, enough for acmod and lfeon.
const ac3MinHeader = 8

// AC3Header describes one AC-3 or E-AC-3 syncframe.
type AC3Header struct {
	SampleRate int
	// Channels of this (sub)stream: acmod channels plus LFE.
	Channels int
	// FrameSize is the size of the syncframe in bytes.
	FrameSize int
	// Samples is the number of audio samples per channel in the frame:
	// 1536 for AC-3, 256 × number of blocks for E-AC-3.
	Samples int

	// E-AC-3 only. StreamType is strmtyp: 0 independent, 1 dependent,
	// 2 independent (converted from AC-3). SubstreamID is substreamid.
	StreamType  uint8
	SubstreamID uint8

	fscod, bsid, bsmod, acmod, frmsizecod uint8
	lfeon                                 bool
	chanmap                               uint16 // dependent E-AC-3 substreams with chanmape, else 0
}

// ParseAC3Header parses the syncinfo and the start of the bsi of an AC-3
// syncframe (bsid ≤ 8) at the start of b.
func ParseAC3Header(b []byte) (AC3Header, error) {
	if len(b) < ac3MinHeader {
		return AC3Header{}, fmt.Errorf("codec: ac-3 header: %d bytes, need %d", len(b), ac3MinHeader)
	}
	if b[0] != 0x0b || b[1] != 0x77 {
		return AC3Header{}, fmt.Errorf("codec: ac-3 header: %w", ErrNoSync)
	}
	var si ac3.SyncInfo
	if err := si.Unmarshal(b); err != nil {
		return AC3Header{}, fmt.Errorf("codec: ac-3 syncinfo: %w", err)
	}
	var bsi ac3.BSI
	if err := bsi.Unmarshal(b[5:]); err != nil {
		return AC3Header{}, fmt.Errorf("codec: ac-3 bsi: %w", err)
	}
	return AC3Header{
		SampleRate: si.SampleRate(),
		Channels:   bsi.ChannelCount(),
		FrameSize:  si.FrameSize(),
		Samples:    AC3SamplesPerFrame,
		fscod:      si.Fscod,
		bsid:       bsi.Bsid,
		bsmod:      bsi.Bsmod,
		acmod:      bsi.Acmod,
		lfeon:      bsi.LfeOn,
		frmsizecod: si.Frmsizecod,
	}, nil
}

// ParseEAC3Header parses the syncinfo and bsi start of an E-AC-3 syncframe
// (bsid 16) at the start of b.
func ParseEAC3Header(b []byte) (AC3Header, error) {
	if len(b) < ac3MinHeader {
		return AC3Header{}, fmt.Errorf("codec: e-ac-3 header: %d bytes, need %d", len(b), ac3MinHeader)
	}
	if b[0] != 0x0b || b[1] != 0x77 {
		return AC3Header{}, fmt.Errorf("codec: e-ac-3 header: %w", ErrNoSync)
	}
	var si eac3.SyncInfo
	if err := si.Unmarshal(b); err != nil {
		return AC3Header{}, fmt.Errorf("codec: e-ac-3 syncinfo: %w", err)
	}
	if si.Strmtyp == 3 {
		return AC3Header{}, fmt.Errorf("codec: e-ac-3 header: reserved stream type 3")
	}
	h := AC3Header{
		SampleRate:  si.SampleRate(),
		Channels:    si.ChannelCount(),
		FrameSize:   si.FrameSize(),
		Samples:     256 * si.NumBlocks(),
		StreamType:  si.Strmtyp,
		SubstreamID: si.Substreamid,
		fscod:       si.Fscod,
		bsid:        si.Bsid,
		acmod:       si.Acmod,
		lfeon:       si.Lfeon,
	}
	if h.StreamType == 1 {
		h.chanmap = eac3ChanMap(b, si.Acmod)
	}
	return h, nil
}

// eac3ChanMap reads chanmap from the bsi of a dependent substream (ETSI TS
// 102 366 §E.1.2.2), 0 when absent or unreadable.
func eac3ChanMap(b []byte, acmod uint8) uint16 {
	pos := 45 // after syncword, strmtyp, substreamid, frmsiz, fscod, numblkscod, acmod, lfeon, bsid
	read := func(n int) uint64 {
		v, err := mcbits.ReadBits(b, &pos, n)
		if err != nil {
			pos = len(b)*8 + 1
			return 0
		}
		return v
	}
	read(5) // dialnorm
	if read(1) == 1 {
		read(8) // compr
	}
	if acmod == 0 {
		read(5) // dialnorm2
		if read(1) == 1 {
			read(8) // compr2
		}
	}
	if read(1) == 0 { // chanmape
		return 0
	}
	return uint16(read(16))
}

// AC3Config returns the AC3SpecificBox (dac3) payload, 3 bytes, for the
// AC-3 syncframe at the start of frame (ETSI TS 102 366 §F.4).
func AC3Config(frame []byte) ([]byte, error) {
	h, err := ParseAC3Header(frame)
	if err != nil {
		return nil, err
	}
	var lfe byte
	if h.lfeon {
		lfe = 1
	}
	box := &mp4.Dac3Box{
		FSCod:       h.fscod,
		BSID:        h.bsid,
		BSMod:       h.bsmod,
		ACMod:       h.acmod,
		LFEOn:       lfe,
		BitRateCode: h.frmsizecod >> 1,
	}
	return boxPayload(box)
}

// EAC3Config returns the EC3SpecificBox (dec3) payload for one E-AC-3 access
// unit: an independent substream syncframe and the dependent (and further
// independent) substream syncframes that follow it for the same time span
// (ETSI TS 102 366 §F.6). It also returns the total channel count the
// configuration describes. bsmod is written as 0 (complete main): reading it
// would need the full mixing metadata of the bsi.
func EAC3Config(au []byte) (cfg []byte, channels int, err error) {
	box := &mp4.Dec3Box{}
	var bytes, samples, sampleRate int
	for off := 0; off < len(au); {
		h, err := ParseEAC3Header(au[off:])
		if err != nil {
			return nil, 0, fmt.Errorf("codec: e-ac-3 access unit at byte %d: %w", off, err)
		}
		if off+h.FrameSize > len(au) {
			return nil, 0, fmt.Errorf("codec: e-ac-3 access unit at byte %d: frame of %d bytes truncated", off, h.FrameSize)
		}
		switch {
		case h.StreamType != 1:
			if len(box.EC3Subs) == 8 {
				return nil, 0, fmt.Errorf("codec: e-ac-3 access unit: more than 8 independent substreams")
			}
			var lfe byte
			if h.lfeon {
				lfe = 1
			}
			box.EC3Subs = append(box.EC3Subs, mp4.EC3Sub{FSCod: h.fscod, BSID: h.bsid, ACMod: h.acmod, LFEOn: lfe})
			if len(box.EC3Subs) == 1 {
				samples, sampleRate = h.Samples, h.SampleRate
			}
		case len(box.EC3Subs) == 0:
			return nil, 0, fmt.Errorf("codec: e-ac-3 access unit starts with a dependent substream")
		default:
			sub := &box.EC3Subs[len(box.EC3Subs)-1]
			if sub.NumDepSub < 15 {
				sub.NumDepSub++
			}
			sub.ChanLoc |= chanLoc(h.chanmap)
		}
		bytes += h.FrameSize
		off += h.FrameSize
	}
	if len(box.EC3Subs) == 0 {
		return nil, 0, fmt.Errorf("codec: e-ac-3 access unit: no syncframe")
	}
	if samples > 0 {
		// Rounded to the nearest kbit/s: frame sizes alternate at 44.1 kHz.
		box.DataRate = uint16(min((int64(bytes)*8*int64(sampleRate)/int64(samples)+500)/1000, 1<<13-1))
	}
	box.NumIndSub = uint16(len(box.EC3Subs) - 1)
	channels, _ = box.ChannelInfo()
	cfg, err = boxPayload(box)
	return cfg, channels, err
}

// chanLoc maps a dependent substream's chanmap (custom channel map, ETSI TS
// 102 366 Table E.1.4, location 0 in the MSB) to the 9-bit chan_loc of dec3
// (Table F.6.1): locations 5-12 are bits 0-7, LFE2 (location 14) is bit 8.
func chanLoc(chanmap uint16) uint16 {
	var loc uint16
	for i := range 8 {
		if chanmap&(1<<(15-5-i)) != 0 {
			loc |= 1 << i
		}
	}
	if chanmap&(1<<(15-14)) != 0 {
		loc |= 1 << 8
	}
	return loc
}

// boxPayload encodes an mp4ff box and returns it without its 8-byte header.
func boxPayload(box mp4.Box) ([]byte, error) {
	sw := bits.NewFixedSliceWriter(int(box.Size()))
	if err := box.EncodeSW(sw); err != nil {
		return nil, fmt.Errorf("codec: encode %s: %w", box.Type(), err)
	}
	return sw.Bytes()[8:], nil
}

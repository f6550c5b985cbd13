package fmp4

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Box builders for hand-made test input.

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func mkBox(typ string, parts ...[]byte) []byte {
	body := cat(parts...)
	return cat(u32(uint32(8+len(body))), []byte(typ), body)
}

func mkFull(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	return mkBox(typ, append([][]byte{u32(uint32(version)<<24 | flags)}, parts...)...)
}

// nals builds a length-prefixed sample with the given length size.
func nals(lengthSize int, units ...[]byte) []byte {
	var out []byte
	for _, u := range units {
		switch lengthSize {
		case 1:
			out = append(out, byte(len(u)))
		case 2:
			out = append(out, u16(uint16(len(u)))...)
		default:
			out = append(out, u32(uint32(len(u)))...)
		}
		out = append(out, u...)
	}
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fragSpec describes a hand-made single-traf moof followed by its mdat.
type fragSpec struct {
	trackID                   uint32
	tfhdFlags                 uint32
	defDur, defSize, defFlags uint32
	tfdtVersion               byte
	tfdt                      uint64
	noTfdt                    bool
	trunVersion               byte
	trunFlags                 uint32 // trunDataOffset is added unless noDataOffset
	noDataOffset              bool
	firstFlags                uint32
	recs                      [][]uint32 // per-sample fields present in trunFlags, in box order
	payload                   []byte
}

// build returns moof+mdat; at is the offset of the moof in the final buffer,
// for an explicit base_data_offset.
func (f fragSpec) build(at int) []byte {
	mk := func(dataOffset uint32, base uint64) []byte {
		tfhd := [][]byte{u32(f.trackID)}
		if f.tfhdFlags&tfhdBaseDataOffset != 0 {
			tfhd = append(tfhd, u64(base))
		}
		if f.tfhdFlags&tfhdDefaultDuration != 0 {
			tfhd = append(tfhd, u32(f.defDur))
		}
		if f.tfhdFlags&tfhdDefaultSize != 0 {
			tfhd = append(tfhd, u32(f.defSize))
		}
		if f.tfhdFlags&tfhdDefaultFlags != 0 {
			tfhd = append(tfhd, u32(f.defFlags))
		}
		traf := [][]byte{mkFull("tfhd", 0, f.tfhdFlags, tfhd...)}
		if !f.noTfdt {
			if f.tfdtVersion == 1 {
				traf = append(traf, mkFull("tfdt", 1, 0, u64(f.tfdt)))
			} else {
				traf = append(traf, mkFull("tfdt", 0, 0, u32(uint32(f.tfdt))))
			}
		}
		flags := f.trunFlags
		trun := [][]byte{u32(uint32(len(f.recs)))}
		if !f.noDataOffset {
			flags |= trunDataOffset
			trun = append(trun, u32(dataOffset))
		}
		if flags&trunFirstSampleFlags != 0 {
			trun = append(trun, u32(f.firstFlags))
		}
		for _, r := range f.recs {
			for _, v := range r {
				trun = append(trun, u32(v))
			}
		}
		traf = append(traf, mkFull("trun", f.trunVersion, flags, trun...))
		return mkBox("moof", mkFull("mfhd", 0, 0, u32(1)), mkBox("traf", traf...))
	}
	size := len(mk(0, 0))
	var moof []byte
	if f.tfhdFlags&tfhdBaseDataOffset != 0 {
		moof = mk(0, uint64(at+size+8))
	} else {
		moof = mk(uint32(size+8), 0)
	}
	return cat(moof, mkBox("mdat", f.payload))
}

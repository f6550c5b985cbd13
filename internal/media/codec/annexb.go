package codec

import "iter"

// AnnexBNALUs returns an iterator over the NAL units of an Annex B byte
// stream (ITU-T H.264 Annex B, H.265 Annex B): start codes (00 00 01 or
// 00 00 00 01) and trailing zero bytes are stripped, empty units are skipped.
// Bytes before the first start code are ignored. The yielded slices alias b.
func AnnexBNALUs(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		start := -1 // start of the current NAL unit, -1 before the first start code
		i := 0
		n := len(b)
		for i+2 < n {
			// Fast skip: a start code has b[i+2] == 1 and b[i], b[i+1] == 0.
			if b[i+2] > 1 {
				i += 3
				continue
			}
			if b[i+2] == 1 && b[i] == 0 && b[i+1] == 0 {
				if start >= 0 {
					if nalu := trimZeros(b[start:i]); len(nalu) > 0 && !yield(nalu) {
						return
					}
				}
				i += 3
				start = i
				continue
			}
			i++
		}
		if start >= 0 && start < n {
			if nalu := trimZeros(b[start:]); len(nalu) > 0 {
				yield(nalu)
			}
		}
	}
}

// trimZeros drops trailing zero bytes: the leading zero of a 4-byte start
// code and trailing_zero_8bits. A NAL unit never ends in 0x00 (its RBSP ends
// with the stop bit; cabac_zero_words end in 0x03).
func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

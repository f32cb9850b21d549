package imageio

import "bytes"

// maxJPEGScans is the most scans (SOS segments) a JPEG may have. Every scan
// of a progressive JPEG is a pass over the whole image, and a scan can be a
// few bytes long (an end-of-band run covers thousands of blocks), so a small
// file with thousands of scans would keep the decoder busy for minutes.
// Encoders write about 10 (libjpeg's progressive default) and rarely more
// than a few dozen.
const maxJPEGScans = 256

// jpegScans counts the scans of a JPEG stream by walking its marker
// segments and skipping entropy-coded data, stopping early once the count
// exceeds limit. A malformed stream ends the count; the decoder reports the
// error itself.
func jpegScans(data []byte, limit int) int {
	scans := 0
	i := 2 // after SOI
	for i+4 <= len(data) && scans <= limit {
		if data[i] != 0xff {
			return scans
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd9: // EOI
			return scans
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8):
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 {
			return scans
		}
		i += 2 + n
		if i > len(data) {
			return scans
		}
		if marker != 0xda {
			continue
		}
		scans++
		// Skip entropy-coded data: it ends at the first 0xFF that is not
		// followed by a stuffed 0x00, a restart marker or another 0xFF.
	entropy:
		for {
			k := bytes.IndexByte(data[i:], 0xff)
			if k < 0 || i+k+1 >= len(data) {
				return scans
			}
			i += k
			switch m := data[i+1]; {
			case m == 0 || (m >= 0xd0 && m <= 0xd7):
				i += 2
			case m == 0xff:
				i++
			default:
				break entropy
			}
		}
	}
	return scans
}

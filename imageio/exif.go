package imageio

import (
	"encoding/binary"
	"image"
)

// jpegOrientation returns the EXIF orientation (2..8) of a JPEG stream, or 1
// when there is none or it cannot be read. It walks the marker segments
// before the first scan, looking for an APP1 segment that starts with
// "Exif\x00\x00", and reads tag 0x0112 from IFD0 of the TIFF structure that
// follows. Every offset is checked against the segment, so malformed metadata
// only ever means "no orientation".
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 1 // not at a marker: give up rather than guess
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8): // TEM, RSTn, SOI: no length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // SOS, EOI: metadata comes before
			return 1
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the Orientation tag (0x0112) of IFD0 of a TIFF
// structure (the body of an Exif segment). It returns 0 when the tag is
// absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := uint64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	entries := t[off+2:]
	for k := 0; k < count && 12*k+12 <= len(entries); k++ {
		e := entries[12*k : 12*k+12]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		var v uint32
		switch typ, n := bo.Uint16(e[2:]), bo.Uint32(e[4:]); {
		case typ == 3 && n == 1: // SHORT, the type the standard prescribes
			v = uint32(bo.Uint16(e[8:]))
		case typ == 4 && n == 1: // LONG, written by some tools
			v = bo.Uint32(e[8:])
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return int(v)
	}
	return 0
}

// orient returns img transformed from stored to display orientation, for an
// EXIF orientation o in 1..8, as an opaque *image.RGBA (see ToRGBA).
//
// For display pixel (x, y), the stored pixel is, with W×H the stored size:
//
//	1 (x, y)        2 (W-1-x, y)      3 (W-1-x, H-1-y)  4 (x, H-1-y)
//	5 (y, x)        6 (y, H-1-x)      7 (W-1-y, H-1-x)  8 (W-1-y, x)
//
// Orientations 5..8 swap width and height.
func orient(img image.Image, o int) *image.RGBA {
	src := ToRGBA(img)
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si := sy*src.Stride + 4*sx
			di := y*dst.Stride + 4*x
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

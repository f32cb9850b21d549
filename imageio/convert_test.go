package imageio

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToRGBA checks the flattening of each pixel layout against values
// computed by hand: out = round(c·α/max + 255·(1−α/max)).
func TestToRGBA(t *testing.T) {
	one := func(c color.Color, m image.Image) image.Image {
		m.(interface{ Set(int, int, color.Color) }).Set(0, 0, c)
		return m
	}
	r1 := image.Rect(0, 0, 1, 1)
	tests := []struct {
		name string
		img  image.Image
		want [3]int
	}{
		{"rgba opaque", one(color.RGBA{10, 20, 30, 255}, image.NewRGBA(r1)), [3]int{10, 20, 30}},
		// premultiplied (100,50,0,128) is straight (199,100,0) at α=128/255:
		// 100 + 127 = 227, 50 + 127 = 177, 0 + 127 = 127.
		{"rgba translucent", one(color.RGBA{100, 50, 0, 128}, image.NewRGBA(r1)), [3]int{227, 177, 127}},
		{"rgba transparent", one(color.RGBA{0, 0, 0, 0}, image.NewRGBA(r1)), [3]int{255, 255, 255}},
		// straight (200,100,0) at α=128: (200·128 + 255·127)/255 = 227.4 → 227; (100·128+255·127)/255 = 177.2 → 177; 127
		{"nrgba translucent", one(color.NRGBA{200, 100, 0, 128}, image.NewNRGBA(r1)), [3]int{227, 177, 127}},
		{"nrgba transparent with colour", one(color.NRGBA{255, 0, 0, 0}, image.NewNRGBA(r1)), [3]int{255, 255, 255}},
		{"gray", one(color.Gray{77}, image.NewGray(r1)), [3]int{77, 77, 77}},
		// 16-bit values round to the nearest 8-bit level v/257, unlike v>>8:
		// 0x00ff/257 = 0.99 → 1 (v>>8 = 0); 0xff00/257 = 254.01 → 254 (v>>8 = 255);
		// 0x8101/257 = 128.502 → 129; 0x80ff/257 = 128.494 → 128.
		{"gray16 0x00ff", one(color.Gray16{0x00ff}, image.NewGray16(r1)), [3]int{1, 1, 1}},
		{"gray16 0xff00", one(color.Gray16{0xff00}, image.NewGray16(r1)), [3]int{254, 254, 254}},
		{"gray16 0x8101", one(color.Gray16{0x8101}, image.NewGray16(r1)), [3]int{129, 129, 129}},
		{"gray16 0x80ff", one(color.Gray16{0x80ff}, image.NewGray16(r1)), [3]int{128, 128, 128}},
		{"rgba64", one(color.RGBA64{0x7f80, 0x8080, 0xffff, 0xffff}, image.NewRGBA64(r1)), [3]int{127, 128, 255}},
		{"nrgba64 half alpha", one(color.NRGBA64{0xffff, 0, 0, 0x8000}, image.NewNRGBA64(r1)), [3]int{255, 127, 127}},
		{"cmyk", one(color.CMYK{0, 255, 255, 0}, image.NewCMYK(r1)), [3]int{255, 0, 0}},
		{"alpha mask", one(color.Alpha{0}, image.NewAlpha(r1)), [3]int{255, 255, 255}},
		{"paletted", func() image.Image {
			p := image.NewPaletted(r1, color.Palette{color.Black, color.NRGBA{0, 0, 255, 255}})
			p.SetColorIndex(0, 0, 1)
			return p
		}(), [3]int{0, 0, 255}},
		{"paletted index outside palette", func() image.Image {
			p := image.NewPaletted(r1, color.Palette{color.Black})
			p.Pix[0] = 7
			return p
		}(), [3]int{255, 255, 255}},
		{"ycbcr", func() image.Image {
			m := image.NewYCbCr(r1, image.YCbCrSubsampleRatio444)
			m.Y[0], m.Cb[0], m.Cr[0] = 76, 85, 255 // ≈ red
			return m
		}(), func() [3]int { r, g, b := color.YCbCrToRGB(76, 85, 255); return [3]int{int(r), int(g), int(b)} }()},
		{"custom image with nil colour", nilColour{}, [3]int{255, 255, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ToRGBA(tt.img)
			require.Equal(t, image.Rect(0, 0, 1, 1), got.Rect)
			assert.Equal(t, tt.want, rgbAt(got, 0, 0))
			assert.Equal(t, uint8(255), got.Pix[3])
		})
	}
}

type nilColour struct{}

func (nilColour) ColorModel() color.Model { return color.RGBAModel }
func (nilColour) Bounds() image.Rectangle { return image.Rect(0, 0, 1, 1) }
func (nilColour) At(int, int) color.Color { return nil }

// TestToRGBAOffsetBounds: sub-images and bounds away from the origin come
// out at (0, 0) with the right pixels, for every fast path.
func TestToRGBAOffsetBounds(t *testing.T) {
	src := pattern()
	want := ToRGBA(src)
	r := image.Rect(5, 3, 21, 14) // straddles blocks
	sub := func(m image.Image) image.Image {
		return m.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
	}
	rgba := ToRGBA(src)
	imgs := map[string]image.Image{
		"nrgba":    sub(src),
		"rgba":     sub(rgba),
		"rgba64":   sub(to16(src)),
		"paletted": sub(toPaletted(src, patternPalette)),
	}
	for name, img := range imgs {
		t.Run(name, func(t *testing.T) {
			got := ToRGBA(img)
			require.Equal(t, image.Rect(0, 0, r.Dx(), r.Dy()), got.Rect)
			for y := 0; y < r.Dy(); y++ {
				for x := 0; x < r.Dx(); x++ {
					w := rgbAt(want, x+r.Min.X, y+r.Min.Y)
					if name == "rgba64" {
						// to16 perturbs the low byte; flattening rounds it back.
						requireNear(t, w, rgbAt(got, x, y), 0)
						continue
					}
					require.Equal(t, w, rgbAt(got, x, y))
				}
			}
		})
	}
	gray := grayPattern().SubImage(r)
	got := ToRGBA(gray)
	assert.Equal(t, [3]int{60, 60, 60}, rgbAt(got, 3, 0)) // (8,3) is block (1,0): gray 60

	// The result never aliases the input.
	got = ToRGBA(rgba)
	got.Pix[0] = 1
	assert.NotEqual(t, uint8(1), rgba.Pix[0])
}

func TestToRGBAEmpty(t *testing.T) {
	got := ToRGBA(image.NewNRGBA(image.Rect(3, 3, 3, 9)))
	assert.True(t, got.Rect.Empty())
	assert.Empty(t, got.Pix)
}

// TestNilImages: a nil image is an error (or an empty result), never a panic.
func TestNilImages(t *testing.T) {
	assert.True(t, ToRGBA(nil).Rect.Empty())
	data, h, w := ToTensor(nil, VGGMean)
	assert.Empty(t, data)
	assert.Zero(t, h+w)
	img := pattern()
	for name, err := range map[string]error{
		"Resize":             second(Resize(nil, 10)),
		"ResizeTo":           second(ResizeTo(nil, 10, 10)),
		"PreserveColors":     second(PreserveColors(nil, img, YUV)),
		"PreserveColors 2":   second(PreserveColors(img, nil, YUV)),
		"MatchHistogram":     second(MatchHistogram(nil, img)),
		"MatchHistogram ref": second(MatchHistogram(img, nil)),
		"Save":               Save(filepath.Join(t.TempDir(), "x.png"), nil, EncodeOptions{}),
	} {
		assert.ErrorIs(t, err, ErrInvalidArgument, name)
	}
}

func second[T any](_ T, err error) error { return err }

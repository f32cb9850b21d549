package imageio

import (
	"image"
	"testing"
)

// Benchmarks of the per-call hot paths at the default working size, 512 px.

func BenchmarkToTensor512(b *testing.B) {
	img := randomRGBA(512, 512, 1)
	b.SetBytes(512 * 512 * 3)
	b.ReportAllocs()
	for b.Loop() {
		ToTensor(img, VGGMean)
	}
}

func BenchmarkToTensor512YCbCr(b *testing.B) {
	src := randomRGBA(512, 512, 1)
	img := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
	b.SetBytes(512 * 512 * 3)
	b.ReportAllocs()
	for b.Loop() {
		ToTensor(img, VGGMean)
	}
}

func BenchmarkFromTensor512(b *testing.B) {
	data, h, w := ToTensor(randomRGBA(512, 512, 1), VGGMean)
	b.SetBytes(512 * 512 * 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromTensor(data, h, w, VGGMean); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize1024To512(b *testing.B) {
	img := randomRGBA(1024, 768, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resize(img, 512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize256To512(b *testing.B) {
	img := randomRGBA(256, 192, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resize(img, 512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreserveColors512(b *testing.B) {
	c, s := randomRGBA(512, 512, 1), randomRGBA(512, 512, 2)
	for _, space := range []ColorSpace{YUV, Lab} {
		b.Run(space.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PreserveColors(c, s, space); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatchHistogram512(b *testing.B) {
	src, ref := randomRGBA(512, 512, 1), randomRGBA(512, 512, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MatchHistogram(src, ref); err != nil {
			b.Fatal(err)
		}
	}
}

package imageio

import (
	"fmt"
	"math"
	"strings"
)

// ColorSpace is a colour space with one luminance channel and two chroma
// channels, used to keep the content image's colours (PreserveColors). The
// names and conventions follow neural-style-tf's --color_convert_type and
// OpenCV's cvtColor for floating-point images. The zero value is YUV,
// neural-style-tf's default.
type ColorSpace int

// The colour spaces. In each, component 0 is the luminance.
const (
	// YUV is BT.601 Y′UV as OpenCV's COLOR_RGB2YUV computes it for float
	// images: Y = 0.299R + 0.587G + 0.114B, U = 0.492(B−Y) + 0.5,
	// V = 0.877(R−Y) + 0.5, with R, G, B in 0..1.
	YUV ColorSpace = iota
	// YCrCb is BT.601 Y′CrCb in OpenCV's channel order (COLOR_RGB2YCrCb):
	// Y as for YUV, Cr = 0.713(R−Y) + 0.5, Cb = 0.564(B−Y) + 0.5.
	YCrCb
	// Luv is CIE 1976 L*u*v* of sRGB under D65: L in 0..100, u about
	// −83..175 and v about −134..107 for sRGB colours.
	Luv
	// Lab is CIE 1976 L*a*b* of sRGB under D65: L in 0..100, a about
	// −86..98 and b about −108..94 for sRGB colours.
	Lab
)

var colorSpaceNames = [...]string{YUV: "yuv", YCrCb: "ycrcb", Luv: "luv", Lab: "lab"}

// String returns the lower-case name: "yuv", "ycrcb", "luv" or "lab" (the
// values of neural-style-tf's --color_convert_type).
func (s ColorSpace) String() string {
	if s.valid() {
		return colorSpaceNames[s]
	}
	return fmt.Sprintf("ColorSpace(%d)", int(s))
}

func (s ColorSpace) valid() bool { return s >= 0 && int(s) < len(colorSpaceNames) }

// ParseColorSpace returns the colour space named s (case-insensitive:
// "yuv", "ycrcb", "luv", "lab"). Any other name fails with
// ErrInvalidArgument.
func ParseColorSpace(s string) (ColorSpace, error) {
	for i, n := range colorSpaceNames {
		if strings.EqualFold(s, n) {
			return ColorSpace(i), nil
		}
	}
	return 0, fmt.Errorf("imageio: %w: colour space %q (want yuv, ycrcb, luv or lab)", ErrInvalidArgument, s)
}

// MarshalText implements encoding.TextMarshaler (for flag.TextVar, JSON).
func (s ColorSpace) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("imageio: %w: colour space %d", ErrInvalidArgument, int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseColorSpace.
func (s *ColorSpace) UnmarshalText(text []byte) error {
	v, err := ParseColorSpace(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// FromRGB converts a gamma-encoded sRGB colour with components in 0..1 to
// s's three components (luminance first), in float64. For a ColorSpace that
// is none of the constants it returns three NaNs. Safe for concurrent use.
func (s ColorSpace) FromRGB(r, g, b float64) (c0, c1, c2 float64) {
	switch s {
	case YUV:
		y := lumaR*r + lumaG*g + lumaB*b
		return y, yuvU*(b-y) + chromaDelta, yuvV*(r-y) + chromaDelta
	case YCrCb:
		y := lumaR*r + lumaG*g + lumaB*b
		return y, ycrcbCr*(r-y) + chromaDelta, ycrcbCb*(b-y) + chromaDelta
	case Lab, Luv:
		return s.fromLinear(srgbToLinear(r), srgbToLinear(g), srgbToLinear(b))
	}
	return math.NaN(), math.NaN(), math.NaN()
}

// fromLinear is FromRGB for Lab and Luv, from linear-light RGB.
func (s ColorSpace) fromLinear(r, g, b float64) (c0, c1, c2 float64) {
	m := &rgbXYZ
	x := m[0][0]*r + m[0][1]*g + m[0][2]*b
	y := m[1][0]*r + m[1][1]*g + m[1][2]*b
	z := m[2][0]*r + m[2][1]*g + m[2][2]*b
	if s == Lab {
		fx, fy, fz := labF(x/whiteX), labF(y), labF(z/whiteZ)
		return 116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)
	}
	l := lightness(y)
	d := x + 15*y + 3*z
	if d <= 0 {
		return l, 0, 0
	}
	return l, 13 * l * (4*x/d - whiteU), 13 * l * (9*y/d - whiteV)
}

// linearY is the relative luminance Y of linear-light RGB.
func linearY(r, g, b float64) float64 {
	m := &rgbXYZ
	return m[1][0]*r + m[1][1]*g + m[1][2]*b
}

// ToRGB is the inverse of FromRGB. The result is not clamped: colours outside
// the sRGB gamut (which arise when luminance and chroma of different images
// are combined) give components outside 0..1. The result is always finite for
// finite input. For a ColorSpace that is none of the constants it returns
// three NaNs. Safe for concurrent use.
func (s ColorSpace) ToRGB(c0, c1, c2 float64) (r, g, b float64) {
	switch s {
	case YUV:
		y, u, v := c0, (c1-chromaDelta)/yuvU, (c2-chromaDelta)/yuvV // u = B−Y, v = R−Y
		r, b = y+v, y+u
		return r, (y - lumaR*r - lumaB*b) / lumaG, b
	case YCrCb:
		y, cr, cb := c0, (c1-chromaDelta)/ycrcbCr, (c2-chromaDelta)/ycrcbCb
		r, b = y+cr, y+cb
		return r, (y - lumaR*r - lumaB*b) / lumaG, b
	case Lab:
		fy := (c0 + 16) / 116
		fx, fz := fy+c1/500, fy-c2/200
		return xyzToRGB(whiteX*labFInv(fx), lightnessInv(c0), whiteZ*labFInv(fz))
	case Luv:
		if c0 <= 0 {
			return 0, 0, 0
		}
		y := lightnessInv(c0)
		up, vp := c1/(13*c0)+whiteU, c2/(13*c0)+whiteV
		if math.Abs(vp) < 1e-12 { // not a colour; keep the result finite
			vp = math.Copysign(1e-12, vp)
		}
		x := y * 9 * up / (4 * vp)
		z := y * (12 - 3*up - 20*vp) / (4 * vp)
		return xyzToRGB(x, y, z)
	}
	return math.NaN(), math.NaN(), math.NaN()
}

// BT.601 luma weights and OpenCV's chroma scale factors (color_yuv.simd.hpp:
// B2UF, R2VF, YCRF, YCBF). The inverses are exact, not OpenCV's rounded
// inverse constants, so that conversions round-trip to float64 precision.
const (
	lumaR, lumaG, lumaB = 0.299, 0.587, 0.114
	yuvU, yuvV          = 0.492, 0.877
	ycrcbCr, ycrcbCb    = 0.713, 0.564
	chromaDelta         = 0.5 // OpenCV's offset for float images
)

// The linear-sRGB to CIE XYZ matrix of OpenCV (sRGB2XYZ_D65, Rec. 709
// primaries, D65). The reference white is the image of RGB (1,1,1), i.e. the
// row sums, as OpenCV's D65 constant (0.950456, 1, 1.088754) is, so that
// white maps exactly to L=100, a=b=0 (u=v=0).
var (
	rgbXYZ = [3][3]float64{
		{0.412453, 0.357580, 0.180423},
		{0.212671, 0.715160, 0.072169},
		{0.019334, 0.119193, 0.950227},
	}
	whiteX = rgbXYZ[0][0] + rgbXYZ[0][1] + rgbXYZ[0][2]
	whiteZ = rgbXYZ[2][0] + rgbXYZ[2][1] + rgbXYZ[2][2]
	xyzRGB = invert3(rgbXYZ)
	// u′ and v′ chromaticities of the white point (Y = 1).
	whiteU = 4 * whiteX / (whiteX + 15 + 3*whiteZ)
	whiteV = 9 / (whiteX + 15 + 3*whiteZ)
)

// CIE constants in their exact rational form (CIE 15:2004): ε = (6/29)³ and
// κ = (29/3)³. OpenCV rounds them to 0.008856 and 903.3; the exact values
// make the piecewise functions continuous, hence exactly invertible. The
// difference is below 4e-4 in L.
const (
	cieEpsilon = 216.0 / 24389.0
	cieKappa   = 24389.0 / 27.0
	cieDelta   = 6.0 / 29.0
)

// labF is the CIE f(t): the cube root above ε, linear below.
func labF(t float64) float64 {
	if t > cieEpsilon {
		return math.Cbrt(t)
	}
	return (cieKappa*t + 16) / 116
}

// labFInv is the inverse of labF.
func labFInv(f float64) float64 {
	if f > cieDelta {
		return f * f * f
	}
	return (116*f - 16) / cieKappa
}

// lightness is CIE L* (0..100) of a relative luminance Y (white = 1).
func lightness(y float64) float64 {
	if y > cieEpsilon {
		return 116*math.Cbrt(y) - 16
	}
	return cieKappa * y
}

// lightnessInv is the inverse of lightness.
func lightnessInv(l float64) float64 {
	if l > cieKappa*cieEpsilon { // = 8
		f := (l + 16) / 116
		return f * f * f
	}
	return l / cieKappa
}

// srgbToLinear is the sRGB transfer function's inverse (IEC 61966-2-1),
// extended as an odd function below 0.
func srgbToLinear(c float64) float64 {
	a := math.Abs(c)
	if a <= 0.04045 {
		return c / 12.92
	}
	return math.Copysign(math.Pow((a+0.055)/1.055, 2.4), c)
}

// linearToSRGB is the sRGB transfer function (IEC 61966-2-1), extended as an
// odd function below 0. The threshold is 0.04045/12.92, the image of the
// decoding threshold, so that the pair round-trips.
func linearToSRGB(l float64) float64 {
	a := math.Abs(l)
	if a <= 0.04045/12.92 {
		return l * 12.92
	}
	return math.Copysign(1.055*math.Pow(a, 1/2.4)-0.055, l)
}

func xyzToRGB(x, y, z float64) (r, g, b float64) {
	m := &xyzRGB
	return linearToSRGB(m[0][0]*x + m[0][1]*y + m[0][2]*z),
		linearToSRGB(m[1][0]*x + m[1][1]*y + m[1][2]*z),
		linearToSRGB(m[2][0]*x + m[2][1]*y + m[2][2]*z)
}

// invert3 inverts a 3×3 matrix by cofactors. It is only called on rgbXYZ,
// which is well conditioned.
func invert3(m [3][3]float64) [3][3]float64 {
	var c [3][3]float64 // cofactor matrix, transposed on use
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			i1, i2 := (i+1)%3, (i+2)%3
			j1, j2 := (j+1)%3, (j+2)%3
			c[i][j] = m[i1][j1]*m[i2][j2] - m[i1][j2]*m[i2][j1]
		}
	}
	det := m[0][0]*c[0][0] + m[0][1]*c[0][1] + m[0][2]*c[0][2]
	var inv [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			inv[i][j] = c[j][i] / det
		}
	}
	return inv
}

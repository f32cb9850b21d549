package bytesize

import "fmt"

// Format writes n bytes in binary units, large enough to be readable and
// precise enough to compare a plan with its limit: "19.7 GiB" (one decimal)
// from 1 GiB up, "256 MiB" from 1 MiB up, and "1000 bytes" below.
// A negative n is written "unknown".
func Format(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 0:
		return fmt.Sprintf("%d bytes", n)
	}
	return "unknown"
}

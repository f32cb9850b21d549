package optim

// ema is a bias-corrected exponential moving average of iterates, kept in
// float64. See Averaging for the formula.
type ema struct {
	decay float64
	value []float64 // aₖ
	accum float64   // dᵏ⁺¹
}

// newEMA starts an average with the first iterate x0.
func newEMA(decay float64, x0 []float32) *ema {
	e := &ema{decay: decay, value: make([]float64, len(x0)), accum: 1}
	e.update(x0)
	return e
}

// update folds the next iterate into the average.
func (e *ema) update(x []float32) {
	d := e.decay
	c := 1 - d
	e.accum *= d
	v := e.value[:len(x)]
	for i, xi := range x {
		v[i] = d*v[i] + c*float64(xi)
	}
}

// read writes the bias-corrected average into dst.
func (e *ema) read(dst []float32) {
	s := 1 / (1 - e.accum)
	for i, v := range e.value {
		dst[i] = float32(v * s)
	}
}

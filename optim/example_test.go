package optim_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/neuralstyle/neuralstyle/optim"
)

// bowl is f(x) = (x₀ − 1)² + 10·(x₁ + 2)², with its minimum 0 at (1, −2).
var bowl = optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
	a, b := float64(x[0])-1, float64(x[1])+2
	grad[0] = float32(2 * a)
	grad[1] = float32(20 * b)
	return a*a + 10*b*b, nil
})

func ExampleMinimize_adam() {
	res, err := optim.Minimize(context.Background(), bowl, []float32{0, 0},
		optim.Settings{Iterations: 500}, &optim.Adam{LearningRate: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x = (%.3f, %.3f), f = %.1e\n", res.X[0], res.X[1], res.Value)
	fmt.Printf("%v after %d iterations, %d evaluations\n", res.Status, res.Iterations, res.Evaluations)
	// Output:
	// x = (1.000, -2.000), f = 0.0e+00
	// iteration limit after 500 iterations, 501 evaluations
}

func ExampleMinimize_lbfgs() {
	res, err := optim.Minimize(context.Background(), bowl, []float32{0, 0},
		optim.Settings{Iterations: 100}, &optim.LBFGS{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x = (%.3f, %.3f), f = %.1e\n", res.X[0], res.X[1], res.Value)
	fmt.Printf("%v after %d iterations, %d evaluations\n", res.Status, res.Iterations, res.Evaluations)
	// Output:
	// x = (1.000, -2.000), f = 0.0e+00
	// gradient converged after 7 iterations, 8 evaluations
}

// Progress sees every iteration and can end the run; the best point so far
// is returned with the error.
func ExampleSettings_progress() {
	errEnough := errors.New("good enough")
	settings := optim.Settings{
		Iterations: 1000,
		Progress: func(p optim.Progress) error {
			fmt.Printf("iteration %d: f = %.4f, |∇f| = %.4f\n", p.Iteration, p.Value, p.GradNorm)
			if p.Value < 0.01 {
				return errEnough
			}
			return nil
		},
	}
	res, err := optim.Minimize(context.Background(), bowl, []float32{0, 0}, settings, &optim.LBFGS{})
	fmt.Println(errors.Is(err, errEnough), res.Status)
	fmt.Printf("x = (%.3f, %.3f)\n", res.X[0], res.X[1])
	// Output:
	// iteration 1: f = 10.9276, |∇f| = 20.1149
	// iteration 2: f = 0.6556, |∇f| = 1.6212
	// iteration 3: f = 0.5293, |∇f| = 1.4677
	// iteration 4: f = 0.0000, |∇f| = 0.0279
	// true stopped
	// x = (0.999, -2.001)
}

// With averaging, Minimize returns a moving average of the iterates, which
// smooths out Adam's oscillation around the minimum, and evaluates the
// objective once more there: 300 iterations make 302 evaluations.
func ExampleAveraging() {
	settings := optim.Settings{Iterations: 300, Average: &optim.Averaging{Decay: 0.9}}
	res, err := optim.Minimize(context.Background(), bowl, []float32{0, 0}, settings,
		&optim.Adam{LearningRate: 0.3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x = (%.3f, %.3f), f = %.1e, %d evaluations\n", res.X[0], res.X[1], res.Value, res.Evaluations)
	// Output:
	// x = (1.000, -2.000), f = 0.0e+00, 302 evaluations
}

package tfruntime_test

import (
	"fmt"

	"github.com/neuralstyle/neuralstyle/tfruntime"
)

// Checking for a GPU before asking for one.
func ExampleLookup() {
	if _, err := tfruntime.Lookup("/gpu:0"); err != nil {
		fmt.Println("running on the CPU")
		return
	}
	fmt.Println("running on the GPU")
}

func ExampleDevices() {
	devices, err := tfruntime.Devices()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(devices[0].Short())
	// Output: /device:CPU:0
}

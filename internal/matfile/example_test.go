package matfile_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/neuralstyle/neuralstyle/internal/matfile"
)

// Example writes a small MatConvNet-like file and walks it, reading the
// layer names and weight shapes and skipping everything else.
func Example() {
	var file bytes.Buffer
	if err := writeExample(&file); err != nil {
		log.Fatal(err)
	}

	r, err := matfile.NewReader(&file)
	if err != nil {
		log.Fatal(err)
	}
	for {
		v, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %v %s\n", v.Name, v.Dims, v.Class)
		if v.Name != "layers" {
			continue // Next skips the rest of v
		}
		for {
			layer, err := v.NextCell()
			if err == io.EOF {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			for {
				field, val, err := layer.NextField()
				if err == io.EOF {
					break
				}
				if err != nil {
					log.Fatal(err)
				}
				switch field {
				case "name":
					name, err := val.Text()
					if err != nil {
						log.Fatal(err)
					}
					fmt.Println("  layer", name)
				case "weights":
					for {
						w, err := val.NextCell()
						if err == io.EOF {
							break
						}
						if err != nil {
							log.Fatal(err)
						}
						data, err := w.Float32s()
						if err != nil {
							log.Fatal(err)
						}
						fmt.Printf("    %v %s: %v\n", w.Dims, w.Class, data)
					}
				}
			}
		}
	}
	// Output:
	// layers: [1 2] cell
	//   layer conv1_1
	//     [1 1 1 2] single: [0.25 -1]
	//     [2 1] single: [0.5 -0.5]
	//   layer relu1_1
	// classes: [1 7] char
}

func writeExample(out io.Writer) error {
	w, err := matfile.NewWriter(out, matfile.WriterOptions{Compress: true})
	if err != nil {
		return err
	}
	kernel, err := matfile.NewNumeric(matfile.ClassSingle, []int{1, 1, 1, 2}, []float32{0.25, -1})
	if err != nil {
		return err
	}
	bias, err := matfile.NewNumeric(matfile.ClassSingle, []int{2, 1}, []float32{0.5, -0.5})
	if err != nil {
		return err
	}
	weights, err := matfile.NewCell([]int{1, 2}, []matfile.Value{kernel, bias})
	if err != nil {
		return err
	}
	fields := []string{"name", "type", "weights"}
	conv, err := matfile.NewStruct([]int{1, 1}, fields, [][]matfile.Value{
		{matfile.NewChar("conv1_1"), matfile.NewChar("conv"), weights},
	})
	if err != nil {
		return err
	}
	noWeights, err := matfile.NewCell([]int{0, 0}, nil)
	if err != nil {
		return err
	}
	relu, err := matfile.NewStruct([]int{1, 1}, fields, [][]matfile.Value{
		{matfile.NewChar("relu1_1"), matfile.NewChar("relu"), noWeights},
	})
	if err != nil {
		return err
	}
	layers, err := matfile.NewCell([]int{1, 2}, []matfile.Value{conv, relu})
	if err != nil {
		return err
	}
	if err := w.WriteVar("layers", layers); err != nil {
		return err
	}
	return w.WriteVar("classes", matfile.NewChar("unknown"))
}

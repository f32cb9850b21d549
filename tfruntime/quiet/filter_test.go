package quiet

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Lines captured from TensorFlow 2.18 on this project's machines.
const (
	tslInfo   = "2026-12-01 08:21:18.304251: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.\n"
	tslInfo2  = "2026-12-01 08:21:18.656504: I tensorflow/core/platform/cpu_feature_guard.cc:210] This TensorFlow binary is optimized.\nTo enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
	tslError  = "2026-12-01 08:26:53.094250: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:477] Unable to register cuFFT factory\n"
	tslFatal  = "2026-12-01 08:26:53.094250: F tensorflow/core/framework/tensor.cc:100] Check failed: x\n"
	abslPre   = abslPreamble + "\n"
	abslError = "E0000 00:00:1796113613.118965   19890 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"
	abslInfo  = "I0000 00:00:1796113278.692940   13944 mlir_graph_optimization_pass.cc:401] MLIR V1 optimization pass is not enabled\n"
	abslFatal = "F0000 00:00:1796113278.692940   13944 x.cc:1] Check failed\n"
	plain     = "stylize: -content: open a.jpg: no such file or directory\n"
	panicText = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n"
)

func TestFilter(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   string
	}{
		{"tsl info", []string{tslInfo}, ""},
		{"tsl info with a continuation line", []string{tslInfo2}, ""},
		{"tsl error", []string{tslError}, ""},
		{"tsl fatal passes", []string{tslFatal}, tslFatal},
		{"absl preamble and lines", []string{abslPre, abslError, abslInfo}, ""},
		{"absl fatal passes", []string{abslFatal}, abslFatal},
		{"other text passes", []string{plain}, plain},
		{"a panic passes", []string{panicText}, panicText},
		{"mixed in one write", []string{tslInfo + plain + abslError + abslFatal}, plain + abslFatal},
		{"a line split across writes", []string{plain[:10], plain[10:]}, plain},
		{"a dropped message split across writes", []string{tslInfo[:20], tslInfo[20:] + plain}, plain},
		{"text after a dropped message in a later write", []string{tslInfo, "hello\n"}, "hello\n"},
		{"an indented continuation is dropped", []string{tslError + "\t [[{{node x}}]]\n" + plain}, plain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			f := newFilter(&out)
			for _, w := range tc.writes {
				n, err := f.Write([]byte(w))
				assert.NoError(t, err)
				assert.Equal(t, len(w), n)
			}
			assert.Equal(t, tc.want, out.String())
		})
	}
}

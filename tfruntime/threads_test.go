package tfruntime

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"github.com/wamuir/graft/tensorflow/op"
	"google.golang.org/protobuf/proto"
)

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A session that asks for one intra-op and one inter-op thread gets them,
// even after Devices opened a session with one thread per core: its
// MatMuls use at most about as much CPU time as wall time. Without the
// per-session pools (TF_OVERRIDE_GLOBAL_THREADPOOL), TensorFlow ran them
// on the first session's pool, on every core. A loaded machine lowers the
// CPU time a pool can use, never raises it, so the bound holds under load.
func TestSessionThreadsAreHonoured(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Log("one core: any pool uses at most one; only the environment is checked")
	}
	assert.Equal(t, "1", os.Getenv(threadPoolEnv))
	_, err := Devices() // the first session, with TensorFlow's default pool
	require.NoError(t, err)

	s := op.NewScope()
	x := op.RandomStandardNormal(s, op.Const(s.SubScope("shape"), []int32{768, 768}), tf.Float)
	y := x
	for i := 0; i < 8; i++ {
		y = op.MatMul(s.SubScope("mul"), y, x)
	}
	g, err := s.Finalize()
	require.NoError(t, err)
	cfg, err := proto.Marshal(&configpb.ConfigProto{IntraOpParallelismThreads: 1, InterOpParallelismThreads: 1})
	require.NoError(t, err)
	sess, err := tf.NewSession(g, &tf.SessionOptions{Config: cfg})
	require.NoError(t, err)
	defer sess.Close()
	_, err = sess.Run(nil, []tf.Output{y}, nil) // warm up
	require.NoError(t, err)

	cpu0, wall0 := cpuTime(t), time.Now()
	for time.Since(wall0) < time.Second {
		_, err = sess.Run(nil, []tf.Output{y}, nil)
		require.NoError(t, err)
	}
	cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
	t.Logf("one thread asked for: %v of CPU in %v (%.2f cores)", cpu, wall, cpu.Seconds()/wall.Seconds())
	assert.Less(t, cpu.Seconds(), 1.25*wall.Seconds(), "the session used more than one core")
}

package tfruntime

import "os"

// threadPoolEnv is the environment variable that TensorFlow reads, once,
// when it creates its first CPU device: unless it is true, every CPU device
// of the process shares one intra-op thread pool, sized by the first
// session's intra_op_parallelism_threads, and every later session's
// setting is ignored.
const threadPoolEnv = "TF_OVERRIDE_GLOBAL_THREADPOOL"

// init gives each session its own intra-op thread pool, of the size its
// options ask for (style.WithThreads, stylize -threads), by setting
// TF_OVERRIDE_GLOBAL_THREADPOOL=1 before any session exists. Without it
// the size is that of the first session the process opens, Devices' on an
// empty graph, which asks for one thread per core. A value the
// environment already has is kept.
func init() {
	if _, set := os.LookupEnv(threadPoolEnv); !set {
		os.Setenv(threadPoolEnv, "1")
	}
}

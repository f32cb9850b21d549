package tfutil

import "github.com/wamuir/graft/tensorflow/op"

// Fresh returns a child of s with a namespace of its own ("n", "n_1", …), so
// that one more operation of a type s already holds can be added.
//
// graft v0.10.0's op.Scope names each operation after its type and does not
// make the name unique (the bug of tensorflow#6799 is back), so a second
// op.Const in one scope fails with "Duplicate node name in graph". Every
// builder in neuralstyle therefore adds repeated op types through Fresh (or a
// SubScope of its own), never twice into one scope.
func Fresh(s *op.Scope) *op.Scope { return s.SubScope("n") }

//go:build !poolvisor_testhooks

// Package testhook lets the end-to-end tests stop a poolvisor process at a
// named point of a write, to kill it there (as a crash would) or to change
// the world under it (a daemon restarting). Only a binary built with the tag
// poolvisor_testhooks, as the tests build theirs, ever stops: in every other
// build Pause is empty.
package testhook

// Pause does nothing: this build has no test hooks.
func Pause(string) {}

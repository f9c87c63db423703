package ops

// ShownArg is the argument of a whole-file edit (a raw editor's) that
// carries the digest (Digest) of the file as its editor showed it: the
// backend refuses the edit when the file it would show now differs, as
// someone wrote it while the editor was open. Written as it stood, the
// editor's file would silently undo that change.
const ShownArg = "shown"

// CheckShown returns a conflict when op carries the digest of what its
// editor showed (ShownArg) and now, the file of what (a program, a pool)
// as show would give it now, is another.
func CheckShown(op Operation, now, what string) error {
	want, ok := op.Get(ShownArg)
	if !ok || want == "" || Digest([]byte(now)) == want {
		return nil
	}
	return Conflictf("%s has changed since its editor opened (someone wrote it meanwhile): nothing was written; open the editor again to edit it as it is now", what)
}

// Package grants keeps temporary roles in the embedded database: grants
// (/ops grant, given through the approval policy) and break-glass sessions
// (/ops breakglass, taken at once and reviewed after). A grant holds until
// an absolute deadline; nothing sweeps them, since the authorizer asks for
// the grants active at the moment of each decision, so a request a second
// after the deadline is judged without it, in every process sharing
// data_dir, and across restarts.
package grants

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Kinds of grant.
const (
	KindGrant      = "grant"
	KindBreakGlass = "breakglass"
)

// Grant is a role held for a while.
type Grant struct {
	ID string `json:"id"`
	// Who holds it: a person of rbac.people, or an identity like slack:U012AB.
	Who    string    `json:"who"`
	Role   string    `json:"role"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	Kind   string    `json:"kind"`
	// Reviewed is whether an approver acknowledged a break-glass session
	// (always true of a grant, which was approved before).
	Reviewed   bool      `json:"reviewed"`
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	Created    time.Time `json:"created"`
	By         string    `json:"granted_by"`
	Approver   string    `json:"approved_by,omitempty"`
	// Revoked is when /ops revoke ended it early; zero when nobody did.
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	Active    bool      `json:"active"` // set by the Store's readers, for now
}

// ActiveAt reports whether g gives its role at now.
func (g Grant) ActiveAt(now time.Time) bool { return g.Revoked.IsZero() && now.Before(g.Until) }

// Errors of a Store.
var (
	ErrNotFound = errors.New("grant not found")
	ErrEnded    = errors.New("grant already ended")
	ErrReviewed = errors.New("break-glass session already reviewed")
)

const schema = `
CREATE TABLE IF NOT EXISTS grants (
	id          TEXT PRIMARY KEY,
	who         TEXT NOT NULL,
	role        TEXT NOT NULL,
	kind        TEXT NOT NULL,
	until       INTEGER NOT NULL, -- unix nanoseconds
	reason      TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL,
	granted_by  TEXT NOT NULL,
	approver    TEXT NOT NULL DEFAULT '',
	revoked     INTEGER NOT NULL DEFAULT 0,
	revoked_by  TEXT NOT NULL DEFAULT '',
	reviewed_by TEXT NOT NULL DEFAULT '',
	reminded    INTEGER NOT NULL DEFAULT 0,
	told        INTEGER NOT NULL DEFAULT 0  -- whether its holder was told it started
);
CREATE INDEX IF NOT EXISTS grants_until ON grants (until);
`

// Store keeps grants in SQLite.
type Store struct{ db *sql.DB }

// New prepares the grants table in db.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create grants table: %w", err)
	}
	if err := addTold(ctx, db); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// addTold adds the told column to a grants table made before it existed.
// Its default is 1 there, so that the grants of such a table count as
// told (Add sets 0 for new ones): their holders were named in the
// notify channel when they started, the way it was then.
func addTold(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info('grants')`)
	if err != nil {
		return fmt.Errorf("read the grants table's columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("read the grants table's columns: %w", err)
		}
		if name == "told" {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the grants table's columns: %w", err)
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE grants ADD COLUMN told INTEGER NOT NULL DEFAULT 1`); err != nil {
		return fmt.Errorf("add the told column to the grants table: %w", err)
	}
	return nil
}

// idAlphabet leaves out what is easy to confuse read aloud (0/o, 1/l/i),
// as approval IDs do; the grammar takes such IDs where it takes those.
const idAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return "g" + string(b)
}

// Add stores g with a new ID, which it returns.
func (s *Store) Add(ctx context.Context, g Grant) (string, error) {
	g.ID = newID()
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO grants (id, who, role, kind, until, reason, created, granted_by, approver, told) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		g.ID, g.Who, g.Role, g.Kind, g.Until.UnixNano(), g.Reason, g.Created.UnixNano(), g.By, g.Approver)
	if err != nil {
		return "", fmt.Errorf("insert grant: %w", err)
	}
	return g.ID, nil
}

const columns = `id, who, role, kind, until, reason, created, granted_by, approver, revoked, revoked_by, reviewed_by`

func scan(row interface{ Scan(...any) error }, now time.Time) (Grant, error) {
	var g Grant
	var until, created, revoked int64
	if err := row.Scan(&g.ID, &g.Who, &g.Role, &g.Kind, &until, &g.Reason, &created, &g.By, &g.Approver, &revoked, &g.RevokedBy, &g.ReviewedBy); err != nil {
		return Grant{}, err
	}
	g.Until, g.Created = time.Unix(0, until).UTC(), time.Unix(0, created).UTC()
	if revoked != 0 {
		g.Revoked = time.Unix(0, revoked).UTC()
	}
	g.Reviewed = g.Kind != KindBreakGlass || g.ReviewedBy != ""
	g.Active = g.ActiveAt(now)
	return g, nil
}

// Get returns the grant id as it stands at now.
func (s *Store) Get(ctx context.Context, id string, now time.Time) (Grant, error) {
	g, err := scan(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM grants WHERE id = ?`, id), now)
	if errors.Is(err, sql.ErrNoRows) {
		return Grant{}, ErrNotFound
	}
	return g, err
}

func (s *Store) query(ctx context.Context, now time.Time, where string, args ...any) ([]Grant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM grants WHERE `+where+` ORDER BY until, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	defer rows.Close()
	out := []Grant{}
	for rows.Next() {
		g, err := scan(rows, now)
		if err != nil {
			return nil, fmt.Errorf("read grants: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Active returns the grants that give their role at now.
func (s *Store) Active(ctx context.Context, now time.Time) ([]Grant, error) {
	return s.query(ctx, now, `revoked = 0 AND until > ?`, now.UnixNano())
}

// Listed returns what /ops grants shows at now: the active grants, and
// every break-glass session not reviewed yet, ended or not.
func (s *Store) Listed(ctx context.Context, now time.Time) ([]Grant, error) {
	return s.query(ctx, now, `(revoked = 0 AND until > ?) OR (kind = ? AND reviewed_by = '')`, now.UnixNano(), KindBreakGlass)
}

// Revoke ends the active grant id at now. A grant that has ended already
// (revoked, or past its deadline) gives ErrEnded; one of several concurrent
// revokes succeeds.
func (s *Store) Revoke(ctx context.Context, id, by string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE grants SET revoked = ?, revoked_by = ? WHERE id = ? AND revoked = 0 AND until > ?`,
		now.UnixNano(), by, id, now.UnixNano())
	return s.changed(ctx, res, err, id, ErrEnded)
}

// Review records that by acknowledged the break-glass session id.
func (s *Store) Review(ctx context.Context, id, by string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE grants SET reviewed_by = ? WHERE id = ? AND kind = ? AND reviewed_by = ''`,
		by, id, KindBreakGlass)
	return s.changed(ctx, res, err, id, ErrReviewed)
}

// changed turns an UPDATE that touched no row into ErrNotFound or
// otherwise.
func (s *Store) changed(ctx context.Context, res sql.Result, err error, id string, otherwise error) error {
	if err != nil {
		return fmt.Errorf("update grant %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM grants WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return otherwise
}

// Ending returns the active grants whose deadline falls before now+within
// and that nobody was reminded of yet, and marks them reminded: of several
// processes sharing data_dir, one reminds of each grant, once, whenever it
// runs (a serve restarted within the lead still reminds).
func (s *Store) Ending(ctx context.Context, now time.Time, within time.Duration) ([]Grant, error) {
	return s.claim(ctx, now, "reminded", `revoked = 0 AND reminded = 0 AND until > ? AND until <= ?`, now.UnixNano(), now.Add(within).UnixNano())
}

// Started returns the active grants whose holders were not told yet that
// they hold them, and marks them told, once for every process sharing
// data_dir. A grant given while serve was down is told of when it starts.
func (s *Store) Started(ctx context.Context, now time.Time) ([]Grant, error) {
	return s.claim(ctx, now, "told", `revoked = 0 AND told = 0 AND until > ?`, now.UnixNano())
}

// claim returns the grants where selects and sets their column flag to 1,
// keeping those whose flag this call was the one to set.
func (s *Store) claim(ctx context.Context, now time.Time, flag, where string, args ...any) ([]Grant, error) {
	list, err := s.query(ctx, now, where, args...)
	if err != nil {
		return nil, err
	}
	var out []Grant
	for _, g := range list {
		res, err := s.db.ExecContext(ctx, `UPDATE grants SET `+flag+` = 1 WHERE id = ? AND `+flag+` = 0`, g.ID)
		if err != nil {
			return out, fmt.Errorf("mark grant %s %s: %w", g.ID, flag, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, g)
		}
	}
	return out, nil
}

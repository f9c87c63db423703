package slack

import (
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestAddedFlagReachesForm: a pool flag added to the catalog is a field of
// the pool form, and a value typed in it becomes its flag.
func TestAddedFlagReachesForm(t *testing.T) {
	fl := catalogtest.Flag
	fields := formFields(catalogtest.PoolFlags())
	i := slices.IndexFunc(fields, func(f field) bool { return f.ID == fl.Name })
	if i < 0 {
		t.Fatalf("the pool form has no field %s: %+v", fl.Name, fields)
	}
	if f := fields[i]; f.Label != fl.Label || f.Hint != fl.Hint || f.Key != fl.Key {
		t.Errorf("field %+v, want the catalog's label, hint and key", f)
	}
	if slices.ContainsFunc(poolFields, func(f field) bool { return f.ID == fl.Name }) {
		t.Fatalf("the real pool form has %s; pick a test flag it does not have", fl.Name)
	}
	saved := poolFields
	defer func() { poolFields = saved }()
	poolFields = fields // the form of the catalog with the flag (no test here runs in parallel)
	req, errs := buildRequest(form{Kind: formPoolEdit, Name: "web"}, map[string]string{fl.Name: "4"}, meta{Name: "web"})
	if len(errs) > 0 || !strings.Contains(req.text, "--"+fl.Name+" '4'") {
		t.Errorf("buildRequest: %q, %v", req.text, errs)
	}
}

// TestErrorField: a refused plan goes on the field its error names; one
// that names none, or a field the form lacks, on the form's first field.
func TestErrorField(t *testing.T) {
	fields := fieldsOf(form{Kind: formPoolCreate})
	tests := []struct {
		name string
		res  ops.Result
		want string
	}{
		{"field", ops.Result{Field: "max-spare", Message: "pool web cannot be written as asked:\n  - user www is root"}, "max-spare"},
		{"name", ops.Result{Field: "name", Message: "pool api already exists; change it with /fpm pool edit api --user x"}, "name"},
		{"none", ops.Result{Message: "php-fpm -t: line 3: user www is unknown"}, "name"},
		{"not in the form", ops.Result{Field: "preset", Message: "unknown preset \"huge\""}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorField(tt.res, fields); got != tt.want {
				t.Errorf("errorField = %s, want %s", got, tt.want)
			}
		})
	}
}

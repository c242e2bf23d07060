package env

import (
	"reflect"
	"testing"
)

// TestCrossCheck expects a struct the walk does not see as the library
// does to be a problem that lists both views.
func TestCrossCheck(t *testing.T) {
	type Env struct {
		A string `env:"A"`
		B int    `env:"B,required" envDefault:"1"`
	}
	v := reflect.ValueOf(&Env{}).Elem()
	vars, problems := walk(v)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if ps := crossCheck(v, vars); ps != nil {
		t.Errorf("the walk and the library disagree: %v", ps)
	}
	changed := func(change func(*variable)) []variable {
		c := append([]variable(nil), vars...)
		change(&c[1])
		return c
	}
	tests := []struct {
		name string
		vars []variable
		want string
	}{
		{"one missing", vars[:1], "[A, B required default], but the feature found [A]"},
		{"another name", changed(func(v *variable) { v.key = "C" }), "[A, B required default], but the feature found [A, C required default]"},
		{"not required", changed(func(v *variable) { v.required = false }), "[A, B required default], but the feature found [A, B default]"},
		{"file", changed(func(v *variable) { v.file, v.notEmpty = true, true }), "[A, B required default], but the feature found [A, B required notEmpty file default]"},
		{"an empty default", changed(func(v *variable) { v.defaultValue = "" }), "[A, B required default], but the feature found [A, B required empty default]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := "type Env: the fields read the variables " + tt.want + "; the struct has a shape the feature does not support"
			if got := crossCheck(v, tt.vars).Error(); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

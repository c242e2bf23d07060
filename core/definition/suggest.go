package definition

import (
	"fmt"
	"unicode/utf8"
)

// maxHintRunes bounds the words a hint compares: names, keys and kinds are
// short, and comparing two words costs the product of their lengths.
const maxHintRunes = 64

// hintBudget is what the hints of one Parse that compare the file's names
// with the file's names (a reference with the variables of envs, a
// services table with the kinds of types) may cost, counted as suggest
// does. Real files spend a few hundred; a file with thousands of wrong
// names gets hints for the first ones only, rather than a time that grows
// with the square of its length.
const hintBudget = 1 << 20

// suggest returns the candidate closest to word when it is near enough to be
// a likely typo, or "".
func suggest(word string, candidates []string) string {
	return suggestWithin(word, candidates, nil)
}

// suggestWithin is suggest, spending from budget (when not nil) what
// distance costs for each pair of words it compares, the product of their
// lengths (plus one each); with too little left, it suggests nothing.
func suggestWithin(word string, candidates []string, budget *int) string {
	n := utf8.RuneCountInString(word)
	if n > maxHintRunes {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		// The distance, in runes, is at least the difference of the
		// lengths.
		m := utf8.RuneCountInString(c)
		limit := max(1, min(len(word), len(c))/3)
		if m > maxHintRunes || m-n > limit || n-m > limit {
			continue // too long to compare, or too far from word
		}
		if budget != nil {
			cost := (n + 1) * (m + 1)
			if *budget < cost {
				return ""
			}
			*budget -= cost
		}
		d := distance(word, c)
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// suggest is suggest within the parser's budget for hints.
func (p *parser) suggest(word string, candidates []string) string {
	return suggestWithin(word, candidates, &p.hints)
}

// didYouMean formats a hint for word, or returns "".
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// alsoDidYouMean formats a hint for word to follow other text inside
// parentheses, or returns "".
func alsoDidYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// distance is the optimal string alignment distance between a and b: the
// edits (insert, delete, substitute, swap two neighbours) that turn a into b.
// Words of up to maxHintRunes runes are compared without allocating.
func distance(a, b string) int {
	var bufA, bufB [maxHintRunes]rune
	var rows [3][maxHintRunes + 1]int
	ra, rb := runes(a, bufA[:0]), runes(b, bufB[:0])
	prev2, prev, cur := rows[0][:], rows[1][:], rows[2][:]
	if len(rb) > maxHintRunes {
		prev2, prev, cur = make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	}
	for j := range len(rb) + 1 {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// runes appends the runes of s to buf.
func runes(s string, buf []rune) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

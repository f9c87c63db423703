package discord

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// fit makes a message safe to send whatever the renderers produced: texts
// are cut to their limits, embeds and fields beyond their counts dropped
// with a note, descriptions shortened until all embeds together stay
// within maxEmbedTotal, and components kept to the row and button limits.
// Renderers already stay inside the limits; fit is the guarantee that
// nothing reaches Discord as "Invalid Form Body".
func fit(m Message) Message {
	m.Content = truncate(m.Content, maxContent)
	if len(m.Embeds) > maxEmbeds {
		m.Embeds = m.Embeds[:maxEmbeds]
	}
	for _, e := range m.Embeds {
		fitEmbed(e)
	}
	for over := embedTotal(m.Embeds) - maxEmbedTotal; over > 0; over = embedTotal(m.Embeds) - maxEmbedTotal {
		e := longestDescription(m.Embeds)
		if e == nil || len(e.Description) == 0 {
			// Only fields are left to cut: drop the last one.
			for i := len(m.Embeds) - 1; i >= 0; i-- {
				if n := len(m.Embeds[i].Fields); n > 0 {
					m.Embeds[i].Fields = m.Embeds[i].Fields[:n-1]
					break
				}
			}
			continue
		}
		if keep := len(e.Description) - over - 1; keep >= minDescription {
			e.Description = truncate(e.Description, keep)
		} else {
			e.Description = ""
		}
	}
	if len(m.Components) > maxActionRows {
		m.Components = m.Components[:maxActionRows]
	}
	for i, c := range m.Components {
		if row, ok := c.(discordgo.ActionsRow); ok && len(row.Components) > maxButtonsPerRow {
			row.Components = row.Components[:maxButtonsPerRow]
			m.Components[i] = row
		}
	}
	return m
}

// minDescription is the shortest cut description worth keeping.
const minDescription = 16

func fitEmbed(e *discordgo.MessageEmbed) {
	e.Title = truncate(e.Title, maxTitle)
	e.Description = truncate(e.Description, maxDescription)
	if len(e.Fields) > maxFields {
		n := len(e.Fields) - (maxFields - 1)
		e.Fields = append(e.Fields[:maxFields-1], &discordgo.MessageEmbedField{
			Name: "…", Value: fmt.Sprintf("%d more are cut to fit in one Discord message.", n)})
	}
	for _, f := range e.Fields {
		f.Name = truncate(firstNonEmpty(f.Name, "\u200b"), maxFieldName)
		f.Value = truncate(firstNonEmpty(f.Value, "\u200b"), maxFieldValue)
	}
	if e.Footer != nil {
		e.Footer.Text = truncate(e.Footer.Text, maxFooter)
	}
}

// embedTotal counts what Discord counts against maxEmbedTotal.
func embedTotal(embeds []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range embeds {
		n += len(e.Title) + len(e.Description)
		for _, f := range e.Fields {
			n += len(f.Name) + len(f.Value)
		}
		if e.Footer != nil {
			n += len(e.Footer.Text)
		}
		if e.Author != nil {
			n += len(e.Author.Name)
		}
	}
	return n
}

func longestDescription(embeds []*discordgo.MessageEmbed) *discordgo.MessageEmbed {
	var best *discordgo.MessageEmbed
	for _, e := range embeds {
		if best == nil || len(e.Description) > len(best.Description) {
			best = e
		}
	}
	return best
}

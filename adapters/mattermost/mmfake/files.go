package mmfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// Files, as Mattermost takes them: a file is uploaded to a channel first
// (POST /api/v4/files), which answers with its ID, and a post in that
// channel then names it in file_ids; an uploaded file that no post names
// is never shown. https://api.mattermost.com/#tag/files/operation/UploadFile
//
// The upload is either multipart/form-data with a field channel_id, one
// part named files for each file (with its filename) and optional
// client_ids, or a body that is the file itself with channel_id and
// filename in the query. The server reads a multipart body as a stream,
// so channel_id must come before the files.

// maxFileBytes is Mattermost's default largest file
// (FileSettings.MaxFileSize, 100 MB); a larger one gets 413.
// https://docs.mattermost.com/configure/environment-configuration-settings.html#maximum-file-size
const maxFileBytes = 100 << 20

// maxFilesPerPost is the most files one post may name.
// https://docs.mattermost.com/collaborate/share-files-in-messages.html
const maxFilesPerPost = 10

// File is an uploaded file.
type File struct {
	ID        string
	ChannelID string
	Name      string
	Content   []byte
	PostID    string // the post that names it; "" until one does
}

// fileState is what the fake keeps of files and direct channels; s.mu
// guards it.
type fileState struct {
	files   map[string]*File
	directs map[string]string // "user1__user2" (sorted) -> channel ID
	users   map[string]string // a direct channel -> the user the bot talks to in it
	bot     string            // the bot's user ID
}

// BotID is the user ID of the bot whose token the fake takes (Bot.ID).
const BotID = "botpoolvisor00000000000000"

func (s *Server) fileRoutes(mux *http.ServeMux) {
	s.fs = fileState{files: map[string]*File{}, directs: map[string]string{}, users: map[string]string{}, bot: BotID}
	mux.HandleFunc("POST /api/v4/files", s.auth(s.uploadFile))
	mux.HandleFunc("POST /api/v4/channels/direct", s.auth(s.directChannel))
}

// PostFiles returns the files post id names, in its order.
func (s *Server) PostFiles(id string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		if p.ID != id {
			continue
		}
		var out []File
		for _, f := range p.FileIDs {
			out = append(out, *s.fs.files[f])
		}
		return out
	}
	return nil
}

// DirectChannel is the channel of the bot's direct messages with user, or
// "" when none was created.
func (s *Server) DirectChannel(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch, u := range s.fs.users {
		if u == user {
			return ch
		}
	}
	return ""
}

// directChannel creates (or finds) the direct channel of two users; the
// bot must be one of them. Its body is a JSON array of the two user IDs.
// https://api.mattermost.com/#tag/channels/operation/CreateDirectChannel
func (s *Server) directChannel(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil || len(ids) != 2 || !idRE.MatchString(ids[0]) || !idRE.MatchString(ids[1]) {
		s.refuse(w, http.StatusBadRequest, "channels/direct takes a JSON array of two user ids")
		return
	}
	if !slices.Contains(ids, s.fs.bot) {
		s.refuse(w, http.StatusForbidden, "the bot may only create its own direct channels")
		return
	}
	other := ids[0]
	if other == s.fs.bot {
		other = ids[1]
	}
	slices.Sort(ids)
	key := ids[0] + "__" + ids[1]
	// The same channel the websocket's direct messages come from.
	id := s.DMChannel(User{ID: other})
	s.mu.Lock()
	s.fs.directs[key], s.fs.users[id] = id, other
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"id": id, "type": "D", "name": key})
}

// uploadFile takes files for a channel, as multipart/form-data or as a
// body with channel_id and filename in the query.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFileBytes+1<<20)
	var (
		channel   string
		files     []File
		clientIDs []string
	)
	ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, ps["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				s.refuse(w, http.StatusBadRequest, "bad multipart body: "+err.Error())
				return
			}
			content, err := io.ReadAll(io.LimitReader(part, maxFileBytes+1))
			if err != nil {
				s.refuse(w, http.StatusBadRequest, "bad multipart body: "+err.Error())
				return
			}
			switch part.FormName() {
			case "channel_id":
				channel = string(content)
			case "client_ids":
				clientIDs = append(clientIDs, string(content))
			case "files":
				if channel == "" {
					s.refuse(w, http.StatusBadRequest, "channel_id must come before the files")
					return
				}
				if part.FileName() == "" {
					s.refuse(w, http.StatusBadRequest, "a files part without a filename")
					return
				}
				files = append(files, File{Name: part.FileName(), Content: content})
			default:
				s.refuse(w, http.StatusBadRequest, fmt.Sprintf("unexpected part %q", part.FormName()))
				return
			}
		}
	} else {
		channel = r.URL.Query().Get("channel_id")
		name := r.URL.Query().Get("filename")
		content, err := io.ReadAll(io.LimitReader(r.Body, maxFileBytes+1))
		if err != nil || name == "" {
			s.refuse(w, http.StatusBadRequest, "an upload without multipart needs channel_id and filename in the query, and the file as its body")
			return
		}
		files = append(files, File{Name: name, Content: content})
	}
	if !idRE.MatchString(channel) {
		s.refuse(w, http.StatusBadRequest, fmt.Sprintf("invalid channel_id %q", channel))
		return
	}
	if len(files) == 0 {
		s.refuse(w, http.StatusBadRequest, "no files")
		return
	}
	if len(clientIDs) != 0 && len(clientIDs) != len(files) {
		s.refuse(w, http.StatusBadRequest, "client_ids must name every file")
		return
	}
	s.mu.Lock()
	outside := s.outside[channel]
	s.mu.Unlock()
	if outside {
		s.refuse(w, http.StatusForbidden, "the bot is not a member of channel "+channel)
		return
	}
	infos := make([]map[string]any, len(files))
	for i := range files {
		f := &files[i]
		if len(f.Content) > maxFileBytes {
			s.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file %s is larger than %d bytes", f.Name, maxFileBytes))
			return
		}
		if f.Name != path.Base(f.Name) || strings.ContainsAny(f.Name, "\r\n\x00") {
			s.refuse(w, http.StatusBadRequest, fmt.Sprintf("bad filename %q", f.Name))
			return
		}
		f.ID, f.ChannelID = NewID(), channel
		infos[i] = map[string]any{"id": f.ID, "user_id": s.fs.bot, "post_id": "", "channel_id": channel, "create_at": time.Now().UnixMilli(),
			"name": f.Name, "extension": strings.TrimPrefix(path.Ext(f.Name), "."), "size": len(f.Content),
			"mime_type": mime.TypeByExtension(path.Ext(f.Name))}
	}
	s.mu.Lock()
	for i := range files {
		s.fs.files[files[i].ID] = &files[i]
	}
	s.mu.Unlock()
	if clientIDs == nil {
		clientIDs = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"file_infos": infos, "client_ids": clientIDs})
}

// attach gives post p the files it names, and says why Mattermost would
// refuse them: an unknown file, one uploaded to another channel, one
// another post already has, or too many.
func (s *Server) attach(p *Post) string {
	if len(p.FileIDs) == 0 {
		return ""
	}
	if len(p.FileIDs) > maxFilesPerPost {
		return fmt.Sprintf("%d files, more than %d a post", len(p.FileIDs), maxFilesPerPost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range p.FileIDs {
		f, ok := s.fs.files[id]
		switch {
		case !ok:
			return "no file " + id
		case f.ChannelID != p.ChannelID:
			return fmt.Sprintf("file %s was uploaded to channel %s, not %s", id, f.ChannelID, p.ChannelID)
		case f.PostID != "":
			return fmt.Sprintf("file %s is already in post %s", id, f.PostID)
		}
	}
	for _, id := range p.FileIDs {
		s.fs.files[id].PostID = p.ID
	}
	return ""
}

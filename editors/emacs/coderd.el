;;; coderd.el --- Ghost-text completions from a local coderd server  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: convenience, tools, languages

;;; Commentary:

;; `coderd-mode' shows the completions of a local coderd server
;; (`coderd lsp', LSP `textDocument/inlineCompletion') as grey "ghost
;; text" after point.  While a suggestion is visible,
;; `coderd-suggestion-map' is active:
;;
;;   TAB    coderd-accept        insert all of it
;;   M-f    coderd-accept-word   insert its next word
;;   C-e    coderd-accept-line   insert its next line
;;   M-n    coderd-next          next candidate (asks the server for several)
;;   M-p    coderd-previous      previous candidate
;;   C-g    coderd-dismiss       hide it
;;
;; Those keys keep their usual meaning when no suggestion is shown.
;; Two ways to talk to the server (`coderd-backend'):
;;
;;  - `jsonrpc' (the default): coderd.el starts `coderd-server-command'
;;    itself (one process per Emacs) and syncs whole buffers (full
;;    document sync), beside whatever else serves the buffer (eglot,
;;    lsp-mode or nothing): eglot keeps running your language server.
;;  - `eglot': the buffer's eglot connection is used, for modes given to
;;    `coderd-setup-eglot'.  Eglot runs one server per buffer, so coderd
;;    then replaces any other language server for those modes.
;;
;; Server messages never interrupt typing: they go to the `*coderd*'
;; buffer and, once per distinct text, to the echo area (coderd-log.el).
;; While company or corfu shows a selected candidate, requests carry it
;; (`selectedCompletionInfo', coderd-menu.el).  When point lands on
;; another line or buffer, the server is told (`coderd/didMoveCursor',
;; coderd-cursor.el), so that it prewarms the prompt there.
;;
;; See README.md for installation and settings.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'subr-x)
(require 'coderd-cursor)
(require 'coderd-log)
(require 'coderd-menu)

(defvar coderd-mode)
(declare-function eglot--pos-to-lsp-position "eglot")
(declare-function eglot--lsp-position-to-point "eglot")
(declare-function coderd--eglot-prepare "coderd-eglot")
(declare-function coderd-jsonrpc--attach "coderd-jsonrpc")
(declare-function coderd-jsonrpc--detach "coderd-jsonrpc")
(declare-function coderd-jsonrpc--prepare "coderd-jsonrpc")
(declare-function coderd-jsonrpc--connection "coderd-jsonrpc")
(declare-function coderd-jsonrpc--position "coderd-jsonrpc")
(declare-function coderd-jsonrpc--point "coderd-jsonrpc")
(autoload 'coderd-status "coderd-status"
  "Show the server's state, its last completion's latency and recent notices." t)
(autoload 'coderd-setup-eglot "coderd-eglot"
  "Make eglot start coderd for MODES (a list of major modes), and nothing else." t)

;;; Customization

(defgroup coderd nil
  "Inline code completions from a local coderd server."
  :group 'tools
  :prefix "coderd-")

(defcustom coderd-server-command '("coderd" "lsp")
  "Program and arguments that start the coderd language server (stdio)."
  :type '(repeat string))
;; A cloned repository's .dir-locals.el must not choose the program Emacs runs.
(put 'coderd-server-command 'risky-local-variable t)

(defcustom coderd-backend 'jsonrpc
  "How coderd.el talks to the server.
`jsonrpc': start `coderd-server-command' itself, beside whatever language
server eglot or lsp-mode runs for the buffer.
`eglot': use the buffer's eglot connection, which must be coderd (see
`coderd-setup-eglot'); eglot then runs no other server for the buffer."
  :type '(choice (const :tag "eglot" eglot) (const :tag "jsonrpc (no eglot)" jsonrpc)))

(defcustom coderd-idle-delay 0.1
  "Seconds after the last edit before a suggestion is requested."
  :type 'number)

(defcustom coderd-init-options nil
  "Plist sent as the server's `initializationOptions', or nil.
Example: (:completion (:candidates 3))."
  :type '(plist))

(defface coderd-suggestion '((t :inherit shadow))
  "Face of the ghost text.")

(defvar coderd-suggestion-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'coderd-accept)
    (define-key map [tab] #'coderd-accept)
    (define-key map (kbd "M-f") #'coderd-accept-word)
    (define-key map (kbd "C-e") #'coderd-accept-line)
    (define-key map (kbd "M-n") #'coderd-next)
    (define-key map (kbd "M-p") #'coderd-previous)
    (define-key map (kbd "C-g") #'coderd-dismiss)
    map)
  "Keymap active only while a suggestion is shown.")

;;; State (all buffer-local)

(cl-defstruct (coderd--item (:constructor coderd--item-create))
  text        ; what is still to be inserted
  id          ; the server's name for it (string), or nil
  accepted    ; non-nil once some of it was inserted
  range)      ; the LSP range it replaces, as the server sent it (nil: point)

(defvar-local coderd--active nil
  "Non-nil while a suggestion is shown; turns on `coderd-suggestion-map'.")
(defvar-local coderd--items nil "Candidates (`coderd--item's) from the last answer.")
(defvar-local coderd--index 0 "Index of the shown candidate in `coderd--items'.")
(defvar-local coderd--invoked nil "Non-nil when `coderd--items' came from an explicit request.")
(defvar-local coderd--conn nil "Connection that produced `coderd--items'.")
(defvar-local coderd--overlay nil "Overlay carrying the ghost text.")
(defvar-local coderd--shown-at nil "(POINT . TICK) when the ghost text was drawn.")
(defvar-local coderd--shown-ids nil "Ids already announced with coderd/didShow.")
(defvar-local coderd--timer nil "Pending debounce timer.")
(defvar-local coderd--pending nil "In-flight request: plist (:seq :id :conn :point :tick).")
(defvar-local coderd--seq 0 "Counter naming requests, to drop stale answers.")
(defvar-local coderd--last-tick nil "Last seen `buffer-chars-modified-tick'.")
(defvar-local coderd--last-answer nil
  "(SEQ . ITEM-COUNT) of the last answer that reached this buffer (for tests, status).")
(defvar-local coderd--menu-seen nil
  "The menu selection (`coderd-menu-selection') the last request carried.")

(defvar coderd--emulation-alist `((coderd--active . ,coderd-suggestion-map)))
(add-to-list 'emulation-mode-map-alists 'coderd--emulation-alist)

;;; Server connection

(defun coderd--prepare ()
  "Sync the buffer with the server; return (CONNECTION . POSITION-PARAMS) or nil."
  (pcase coderd-backend
    ('eglot (require 'coderd-eglot) (coderd--eglot-prepare))
    ('jsonrpc (require 'coderd-jsonrpc) (coderd-jsonrpc--prepare))))

(defun coderd--lsp-position (pos)
  "POS as an LSP position for the buffer's connection."
  (pcase coderd-backend
    ('eglot (eglot--pos-to-lsp-position pos))
    (_ (coderd-jsonrpc--position pos))))

(defun coderd--point (lsp-position)
  "The buffer position of LSP-POSITION (a plist :line :character)."
  (pcase coderd-backend
    ('eglot (eglot--lsp-position-to-point lsp-position))
    (_ (coderd-jsonrpc--point lsp-position))))

(defun coderd--async-request (conn method params &rest args)
  "Send METHOD with PARAMS and ARGS to CONN; return the request id, or nil.
`jsonrpc-async-request' returns nil, so use its worker when it exists."
  (let ((r (if (fboundp 'jsonrpc--async-request-1) ; returns (ID TIMER)
               (apply #'jsonrpc--async-request-1 conn method params args)
             (apply #'jsonrpc-async-request conn method params args))))
    (if (consp r) (car r) (and (integerp r) r))))

(defun coderd--notify (method id &rest more)
  "Send notification METHOD about suggestion ID with the plist MORE.
Skipped when ID is nil (a server that does not name its suggestions)."
  (when (and id coderd--conn (jsonrpc-running-p coderd--conn))
    (jsonrpc-notify coderd--conn method (append (list :id id) more))))

;;; Requests

(defun coderd--cancel ()
  "Forget the in-flight request and ask the server to stop it."
  (when-let ((pending coderd--pending))
    (setq coderd--pending nil)
    (let ((conn (plist-get pending :conn)) (id (plist-get pending :id)))
      (when (and id (jsonrpc-running-p conn))
        (jsonrpc-notify conn :$/cancelRequest (list :id id))))))

(defun coderd--request (trigger-kind callback)
  "Ask for suggestions at point; call CALLBACK with the items unless stale.
TRIGGER-KIND is 1 (Invoked) or 2 (Automatic)."
  (coderd--cancel)
  (when-let ((prepared (coderd--prepare)))
    (let* ((conn (car prepared))
           (buf (current-buffer))
           (seq (cl-incf coderd--seq))
           (pending (list :seq seq :conn conn :point (point)
                          :tick (buffer-chars-modified-tick)))
           (done (lambda (result)
                   (when (buffer-live-p buf)
                     (with-current-buffer buf
                       (when (eq (plist-get coderd--pending :seq) seq)
                         (setq coderd--pending nil)
                         (let ((items (coderd--parse-items result)))
                           (setq coderd--last-answer (cons seq (length items)))
                           (when (and (= (point) (plist-get pending :point))
                                      (= (buffer-chars-modified-tick) (plist-get pending :tick)))
                             (setq coderd--conn conn)
                             (funcall callback (coderd--fit-to-point items))))))))))
      (setq coderd--pending pending)
      (let ((id (coderd--async-request
                 conn :textDocument/inlineCompletion
                 (append (cdr prepared) (list :context (coderd--context trigger-kind)))
                 :success-fn done
                 :error-fn (lambda (&rest _) (funcall done nil)) ; quiet: cancelled or failed
                 :timeout-fn (lambda () (funcall done nil))
                 :timeout 30)))
        (when (eq coderd--pending pending)
          (setq coderd--pending (plist-put pending :id id)))))))

(defun coderd--context (trigger-kind)
  "The request's InlineCompletionContext: TRIGGER-KIND and the menu's selection."
  (let ((selected (coderd-menu-selection)))
    (setq coderd--menu-seen selected)
    (append (list :triggerKind trigger-kind)
            (when selected
              (list :selectedCompletionInfo
                    (list :range (list :start (coderd--lsp-position (car selected))
                                       :end (coderd--lsp-position (point)))
                          :text (cdr selected)))))))

(defun coderd--fit-to-point (items)
  "ITEMS shown from point: an item whose range starts before point on this line
\(it replaces text typed there, e.g. a completion-menu prefix) loses what is
already typed, or is dropped when its text does not start with it."
  (cl-loop for item in items
           for start = (plist-get (coderd--item-range item) :start)
           for beg = (and start (ignore-errors (coderd--point start)))
           for typed = (and beg (< beg (point)) (>= beg (line-beginning-position))
                            (buffer-substring-no-properties beg (point)))
           for text = (coderd--item-text item)
           if (null typed) collect item
           else if (and (string-prefix-p typed text) (> (length text) (length typed)))
           collect (progn (setf (coderd--item-text item) (substring text (length typed))) item)))

(defun coderd--parse-items (result)
  "Items with non-empty text from an InlineCompletionList or item array RESULT."
  (let ((items (if (and (listp result) (keywordp (car-safe result)))
                   (plist-get result :items)
                 result)))
    (cl-loop for item across (if (vectorp items) items (vconcat items))
             for text = (plist-get item :insertText)
             for text* = (if (stringp text) text (plist-get text :value)) ; StringValue
             for args = (plist-get (plist-get item :command) :arguments)
             for id = (and (> (length args) 0) (plist-get (elt args 0) :id))
             when (and (stringp text*) (not (string-empty-p text*)))
             collect (coderd--item-create :text text* :id (and (stringp id) id)
                                          :range (plist-get item :range)))))

;;; Display

(defun coderd--current ()
  (and coderd--active (nth coderd--index coderd--items)))

(defun coderd--show ()
  "Draw the current candidate as ghost text at point."
  (let* ((item (nth coderd--index coderd--items))
         (text (propertize (coderd--item-text item) 'face 'coderd-suggestion)))
    ;; Keep the cursor before the ghost text, not after it.
    (put-text-property 0 1 'cursor t text)
    (if (overlayp coderd--overlay)
        (move-overlay coderd--overlay (point) (point) (current-buffer))
      (setq coderd--overlay (make-overlay (point) (point) nil t nil))
      (overlay-put coderd--overlay 'coderd t)
      (overlay-put coderd--overlay 'priority 100))
    (overlay-put coderd--overlay 'after-string text)
    (setq coderd--active t
          coderd--shown-at (cons (point) (buffer-chars-modified-tick)))
    (let ((id (coderd--item-id item)))
      (when (and id (not (member id coderd--shown-ids)))
        (push id coderd--shown-ids)
        (coderd--notify :coderd/didShow id)))))

(defun coderd--set-items (items index invoked)
  (setq coderd--items items coderd--index index coderd--invoked invoked
        coderd--shown-ids nil)
  (coderd--show))

(defun coderd--clear (&optional reject)
  "Hide the suggestion; with REJECT, tell the server it was not taken."
  (let ((item (coderd--current)))
    (when (and reject item (not (coderd--item-accepted item)))
      (coderd--notify :coderd/didReject (coderd--item-id item))))
  (when (overlayp coderd--overlay) (delete-overlay coderd--overlay))
  (setq coderd--overlay nil coderd--active nil coderd--items nil coderd--index 0
        coderd--invoked nil coderd--shown-at nil))

;;; Hooks

(defconst coderd--own-commands
  '(coderd-accept coderd-accept-word coderd-accept-line coderd-next coderd-previous
    coderd-dismiss)
  "Commands that manage the suggestion themselves.")

(defun coderd--post-command ()
  "Drop what is stale after a command; request a suggestion after an edit."
  (let ((tick (buffer-chars-modified-tick)))
    (when (and coderd--active
               (not (equal coderd--shown-at (cons (point) tick))))
      (coderd--clear t))
    (when (and coderd--pending
               (not (and (= (point) (plist-get coderd--pending :point))
                         (= tick (plist-get coderd--pending :tick)))))
      (coderd--cancel))
    (if (eql tick coderd--last-tick)
        ;; No edit, but another menu candidate selected: the suggestion built on it is stale.
        (unless (equal (coderd-menu-selection) coderd--menu-seen)
          (coderd--ask-again))
      (setq coderd--last-tick tick)
      (unless (memq this-command coderd--own-commands)
        (coderd--schedule)))))

(defun coderd--ask-again (&rest _)
  "Drop the suggestion and ask again (the completion menu opened or changed)."
  (when coderd-mode
    (coderd--cancel)
    (coderd--clear t)
    (coderd--schedule)))

(defun coderd--schedule ()
  (when (timerp coderd--timer) (cancel-timer coderd--timer))
  ;; A plain timer restarted by every command (not an idle timer), so it also fires in --batch.
  (setq coderd--timer (run-with-timer coderd-idle-delay nil #'coderd--on-timer (current-buffer))))

(defun coderd--on-timer (buf)
  (when (buffer-live-p buf)
    (with-current-buffer buf
      (setq coderd--timer nil)
      (when (and coderd-mode (not coderd--active))
        (coderd--request 2 (lambda (items) (when items (coderd--set-items items 0 nil))))))))

;;; Commands

(defun coderd--accept (kind part-of)
  "Insert (PART-OF TEXT) of the current suggestion; KIND names it for the server."
  (let ((item (or (coderd--current) (user-error "No coderd suggestion"))))
    (let* ((text (coderd--item-text item))
           (part (funcall part-of text))
           (rest (substring text (length part))))
      (delete-overlay coderd--overlay)
      (insert part)
      (setf (coderd--item-text item) rest
            (coderd--item-accepted item) t)
      (coderd--notify :coderd/didAccept (coderd--item-id item) :kind kind :acceptedText part)
      (if (string-empty-p rest)
          (coderd--clear)
        ;; The other candidates no longer fit what was typed.
        (setq coderd--items (list item) coderd--index 0)
        (coderd--show)))))

(defun coderd--next-word (text)
  "TEXT's leading whitespace and first word (or run of punctuation)."
  (if (string-match "\\`[[:space:]]*\\(?:[[:alnum:]_]+\\|[^[:alnum:]_[:space:]]+\\)" text)
      (match-string 0 text)
    text))

(defun coderd--next-line (text)
  "TEXT up to and including its first newline after some content."
  (if (string-match "\\`\n*[^\n]*\n" text) (match-string 0 text) text))

(defun coderd-accept ()
  "Insert the whole suggestion."
  (interactive)
  (coderd--accept "all" #'identity))

(defun coderd-accept-word ()
  "Insert the next word of the suggestion and keep showing the rest."
  (interactive)
  (coderd--accept "word" #'coderd--next-word))

(defun coderd-accept-line ()
  "Insert the next line of the suggestion and keep showing the rest."
  (interactive)
  (coderd--accept "line" #'coderd--next-line))

(defun coderd-dismiss ()
  "Hide the suggestion."
  (interactive)
  (coderd--cancel)
  (coderd--clear t))

(defun coderd--cycle (delta)
  (if coderd--invoked
      (progn (setq coderd--index (mod (+ coderd--index delta) (length coderd--items)))
             (coderd--show))
    (let ((current (and (coderd--current) (coderd--item-text (coderd--current)))))
      (coderd--request
       1 (lambda (items)
           (if (null items)
               (message "coderd: no suggestion")
             (let ((at (cl-position current items :key #'coderd--item-text :test #'equal)))
               (coderd--set-items items (if at (mod (+ at delta) (length items)) 0) t)
               (when (and at (= (length items) 1))
                 (message "coderd: no other suggestion")))))))))

(defun coderd-next ()
  "Show the next candidate; the first call asks the server for several."
  (interactive)
  (coderd--cycle 1))

(defun coderd-previous ()
  "Show the previous candidate; the first call asks the server for several."
  (interactive)
  (coderd--cycle -1))

(defun coderd-complete ()
  "Ask for suggestions at point now (an explicit request)."
  (interactive)
  (coderd--clear t)
  (coderd--cycle 0))

;;; Modes

;;;###autoload
(define-minor-mode coderd-mode
  "Show coderd's completions as ghost text after point."
  :lighter " coderd"
  (if coderd-mode
      (progn
        (add-hook 'post-command-hook #'coderd--post-command nil t)
        (add-hook 'post-command-hook #'coderd-cursor--post-command nil t)
        ;; A new major mode kills the local state: clean up before (overlay, didClose).
        (add-hook 'change-major-mode-hook #'coderd--turn-off nil t)
        ;; company's menu opens on its own timer, after the request typing made: ask again.
        (add-hook 'company-completion-started-hook #'coderd--ask-again nil t)
        (setq coderd--last-tick (buffer-chars-modified-tick))
        (when (eq coderd-backend 'jsonrpc)
          (require 'coderd-jsonrpc)
          (coderd-jsonrpc--attach)))
    (remove-hook 'post-command-hook #'coderd--post-command t)
    (remove-hook 'post-command-hook #'coderd-cursor--post-command t)
    (remove-hook 'change-major-mode-hook #'coderd--turn-off t)
    (remove-hook 'company-completion-started-hook #'coderd--ask-again t)
    (when (timerp coderd--timer) (cancel-timer coderd--timer))
    (coderd-dismiss)
    (when (featurep 'coderd-jsonrpc) (coderd-jsonrpc--detach))))

(defun coderd--turn-off ()
  (coderd-mode -1))

(defun coderd--turn-on ()
  (when (and (derived-mode-p 'prog-mode) (not (minibufferp)))
    (coderd-mode 1)))

;;;###autoload
(define-globalized-minor-mode global-coderd-mode coderd-mode coderd--turn-on)

(provide 'coderd)
;;; coderd.el ends here

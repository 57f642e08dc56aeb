;;; coderd-jsonrpc.el --- coderd.el without eglot  -*- lexical-binding: t; -*-

;;; Commentary:

;; The `jsonrpc' backend of coderd.el (`coderd-backend'): one server
;; process per Emacs, started with `coderd-server-command' on the first
;; request, speaking LSP through Emacs's built-in jsonrpc.el.
;;
;; Document sync is FULL: before a request, a buffer edited since the
;; last one is sent whole in one `textDocument/didChange'.  Simpler than
;; incremental sync and cheap for source files (the server stops
;; completing above its size limit anyway).  Only buffers with
;; `coderd-mode' on are sent; they are closed (`didClose') when the mode
;; is turned off or the buffer is killed.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'subr-x)
(require 'url-util)
(require 'coderd)
(require 'coderd-log)

(defvar coderd-jsonrpc--connection nil
  "The server connection (one per Emacs) once `initialize' was answered, or nil.")
(defvar coderd-jsonrpc--starting nil
  "The connection whose `initialize' is in flight, or nil.")
(defvar coderd-jsonrpc--encoding "utf-16" "Position encoding the server chose.")
(defvar coderd-jsonrpc--failure nil
  "Why the server could not start; no retry until `coderd-restart'.")

(defvar-local coderd-jsonrpc--opened nil "Connection this buffer was opened on, or nil.")
(defvar-local coderd-jsonrpc--uri nil "URI the buffer was opened under.")
(defvar-local coderd-jsonrpc--version 0 "Version of the last text sent.")
(defvar-local coderd-jsonrpc--dirty nil "Non-nil when the server's copy is out of date.")

;;; Server process

(defun coderd-jsonrpc--start ()
  "Start the server and send `initialize' without waiting for it.
The answer can take seconds (a daemon starting): Emacs must not freeze.
Until it comes, `coderd-jsonrpc--connection' returns nil (no requests)."
  (let* ((conn (make-instance
                'jsonrpc-process-connection
                :name "coderd"
                :events-buffer-scrollback-size 200000
                ;; A function, so the process picks up jsonrpc's "*coderd stderr*" buffer.
                :process (lambda ()
                           (make-process :name "coderd" :command coderd-server-command
                                         :connection-type 'pipe :coding 'utf-8-emacs-unix
                                         :noquery t
                                         :stderr (get-buffer-create "*coderd stderr*")))
                :notification-dispatcher #'coderd-jsonrpc--on-notification
                :request-dispatcher #'coderd-jsonrpc--on-request
                :on-shutdown #'coderd-jsonrpc--forget))
         (params (list :processId (emacs-pid)
                       :rootUri nil
                       :clientInfo (list :name "coderd.el" :version "0.1.0")
                       :capabilities (list :general (list :positionEncodings ["utf-8" "utf-16"])))))
    (when coderd-init-options
      (setq params (append params (list :initializationOptions coderd-init-options))))
    (setq coderd-jsonrpc--starting conn)
    (jsonrpc-async-request
     conn :initialize params
     :success-fn (lambda (result) (coderd-jsonrpc--ready conn result))
     :error-fn (lambda (error) (coderd-jsonrpc--failed conn (plist-get error :message)))
     :timeout 120
     :timeout-fn (lambda () (coderd-jsonrpc--failed conn "no answer to initialize in 120 s")))))

(defun coderd-jsonrpc--forget (conn)
  "CONN ended: forget it."
  (when (eq conn coderd-jsonrpc--connection) (setq coderd-jsonrpc--connection nil))
  (when (eq conn coderd-jsonrpc--starting) (setq coderd-jsonrpc--starting nil)))

(defun coderd-jsonrpc--ready (conn result)
  "CONN answered `initialize' with RESULT: use it; ask for the buffer on screen."
  (when (eq conn coderd-jsonrpc--starting)
    (setq coderd-jsonrpc--starting nil
          coderd-jsonrpc--encoding
          (or (plist-get (plist-get result :capabilities) :positionEncoding) "utf-16"))
    (jsonrpc-notify conn :initialized (make-hash-table))
    (setq coderd-jsonrpc--connection conn)
    ;; Typing before the server was up requested nothing: ask now where the user is.
    (with-current-buffer (window-buffer (selected-window))
      (when coderd-mode (coderd--schedule)))))

(defun coderd-jsonrpc--failed (conn why)
  "CONN could not start (WHY): reported once, no retry until `coderd-restart'."
  (when (eq conn coderd-jsonrpc--starting)
    (setq coderd-jsonrpc--starting nil
          coderd-jsonrpc--failure
          (format "coderd: cannot start %s: %s (then M-x coderd-restart)"
                  (string-join coderd-server-command " ")
                  (string-remove-prefix "coderd: " (format "%s" why))))
    (coderd-log-notice coderd-jsonrpc--failure)
    (ignore-errors (jsonrpc-shutdown conn))))

(defun coderd-jsonrpc--missing ()
  "Why `coderd-server-command' cannot run, with the fix; nil when it can."
  (let ((program (car coderd-server-command)))
    (unless (and (stringp program) (executable-find program))
      (format (concat "coderd: `%s' not found (exec-path). Install coderd: pipx install"
                      " /path/to/coderd (a checkout), or set coderd-server-command to its full"
                      " path; then M-x coderd-restart")
              program))))

(defun coderd-jsonrpc--connection ()
  "The running connection, started if need be.
Nil while it starts (see `coderd-jsonrpc--starting') and after a failed
start, which is reported once; no retry until `coderd-restart'."
  (unless (or coderd-jsonrpc--failure coderd-jsonrpc--starting
              (and coderd-jsonrpc--connection (jsonrpc-running-p coderd-jsonrpc--connection)))
    (setq coderd-jsonrpc--connection nil)
    (condition-case err
        (if-let ((missing (coderd-jsonrpc--missing)))
            (setq coderd-jsonrpc--failure missing)
          (coderd-jsonrpc--start))
      (error
       (setq coderd-jsonrpc--starting nil
             coderd-jsonrpc--failure
             (format "coderd: cannot start %s: %s (fix it, then M-x coderd-restart)"
                     (string-join coderd-server-command " ") (error-message-string err)))))
    (when coderd-jsonrpc--failure
      (coderd-log-notice coderd-jsonrpc--failure)))
  coderd-jsonrpc--connection)

(defun coderd-jsonrpc--why-not ()
  "Why there is no connection: starting, a failed start, or not running."
  (cond (coderd-jsonrpc--starting "the server is starting")
        (coderd-jsonrpc--failure)
        (t "the server is not running")))

(defun coderd-jsonrpc--on-notification (_conn method params)
  (when (eq method 'window/showMessage)
    (coderd-log-server-message params)))

(defun coderd-jsonrpc--on-request (_conn method params)
  (pcase method
    ;; Answered at once with no choice: a question must not stop typing.
    ('window/showMessageRequest (coderd-log-server-message params) nil)
    ('workspace/configuration (make-vector (length (plist-get params :items)) nil))
    (_ nil)))

(defun coderd-shutdown ()
  "Stop the server started by the `jsonrpc' backend."
  (interactive)
  (when-let ((starting coderd-jsonrpc--starting))
    (setq coderd-jsonrpc--starting nil)
    (jsonrpc-shutdown starting))
  (when-let ((conn coderd-jsonrpc--connection))
    (setq coderd-jsonrpc--connection nil)
    (when (jsonrpc-running-p conn)
      (ignore-errors (jsonrpc-request conn :shutdown nil :timeout 3))
      (ignore-errors (jsonrpc-notify conn :exit nil)))
    (jsonrpc-shutdown conn)))

(defun coderd-restart ()
  "Restart the server started by the `jsonrpc' backend."
  (interactive)
  (coderd-shutdown)
  (setq coderd-jsonrpc--failure nil)
  (coderd-jsonrpc--connection)
  ;; Asked for: say how it went, even when the same failure was shown before.
  (message "%s" (or coderd-jsonrpc--failure "coderd: starting")))

;;; Documents

(defun coderd-jsonrpc--buffer-uri ()
  (if buffer-file-name
      (concat "file://" (url-hexify-string (expand-file-name buffer-file-name)
                                           url-path-allowed-chars))
    (concat "untitled:" (url-hexify-string (buffer-name)))))

(defun coderd-jsonrpc--language-id ()
  (let ((name (string-remove-suffix "-ts" (string-remove-suffix "-mode" (symbol-name major-mode)))))
    (pcase name
      ((or "js" "js2" "js3" "rjsx") "javascript")
      ("c++" "cpp")
      ((or "sh" "bash") "shellscript")
      (_ name))))

(defun coderd-jsonrpc--text ()
  (save-restriction (widen) (buffer-substring-no-properties (point-min) (point-max))))

(defun coderd-jsonrpc--width (text)
  "Length of TEXT in the server's position encoding."
  (pcase coderd-jsonrpc--encoding
    ("utf-8" (length (encode-coding-string text 'utf-8 t)))
    ("utf-32" (length text))
    (_ (+ (length text) (cl-count-if (lambda (c) (> c #xFFFF)) text)))))

(defun coderd-jsonrpc--column (&optional pos)
  "The column of POS (default point) in the server's position encoding."
  (save-excursion
    (when pos (goto-char pos))
    (coderd-jsonrpc--width (buffer-substring-no-properties (line-beginning-position) (point)))))

(defun coderd-jsonrpc--position (pos)
  "POS as an LSP position (a plist :line :character)."
  (save-restriction
    (widen)
    (list :line (1- (line-number-at-pos pos t)) :character (coderd-jsonrpc--column pos))))

(defun coderd-jsonrpc--point (position)
  "The buffer position of the LSP POSITION (past the line's end: its end)."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (point-min))
      (forward-line (plist-get position :line))
      (let ((want (plist-get position :character)) (end (line-end-position)))
        (while (and (< (point) end)
                    (<= (coderd-jsonrpc--width
                         (buffer-substring-no-properties (line-beginning-position) (1+ (point))))
                        want))
          (forward-char 1))
        (point)))))

(defun coderd-jsonrpc--close ()
  (when (and coderd-jsonrpc--opened (jsonrpc-running-p coderd-jsonrpc--opened))
    (jsonrpc-notify coderd-jsonrpc--opened :textDocument/didClose
                    (list :textDocument (list :uri coderd-jsonrpc--uri))))
  (setq coderd-jsonrpc--opened nil))

(defun coderd-jsonrpc--prepare ()
  "Open or update the buffer on the server; return (CONNECTION . POSITION-PARAMS)."
  (when-let ((conn (coderd-jsonrpc--connection)))
    (let ((uri (coderd-jsonrpc--buffer-uri)))
      (unless (and (eq coderd-jsonrpc--opened conn) (equal uri coderd-jsonrpc--uri))
        (coderd-jsonrpc--close)
        (setq coderd-jsonrpc--opened conn coderd-jsonrpc--uri uri
              coderd-jsonrpc--version 1 coderd-jsonrpc--dirty nil)
        (jsonrpc-notify conn :textDocument/didOpen
                        (list :textDocument (list :uri uri
                                                  :languageId (coderd-jsonrpc--language-id)
                                                  :version 1
                                                  :text (coderd-jsonrpc--text)))))
      (when coderd-jsonrpc--dirty
        (setq coderd-jsonrpc--dirty nil)
        (jsonrpc-notify conn :textDocument/didChange
                        (list :textDocument (list :uri uri
                                                  :version (cl-incf coderd-jsonrpc--version))
                              :contentChanges (vector (list :text (coderd-jsonrpc--text))))))
      (cons conn (list :textDocument (list :uri uri)
                       :position (coderd-jsonrpc--position (point)))))))

(defun coderd-jsonrpc--after-change (&rest _)
  (setq coderd-jsonrpc--dirty t))

(defun coderd-jsonrpc--attach ()
  (add-hook 'after-change-functions #'coderd-jsonrpc--after-change nil t)
  (add-hook 'kill-buffer-hook #'coderd-jsonrpc--close nil t)
  (coderd-jsonrpc--connection))

(defun coderd-jsonrpc--detach ()
  (remove-hook 'after-change-functions #'coderd-jsonrpc--after-change t)
  (remove-hook 'kill-buffer-hook #'coderd-jsonrpc--close t)
  (coderd-jsonrpc--close))

(provide 'coderd-jsonrpc)
;;; coderd-jsonrpc.el ends here

;;; coderd-menu.el --- The completion menu's selected candidate  -*- lexical-binding: t; -*-

;;; Commentary:

;; While `company' or `corfu' shows its menu with a candidate selected,
;; coderd.el sends that candidate with the request (LSP 3.18
;; `InlineCompletionContext.selectedCompletionInfo': the range the
;; candidate replaces, from the start of the prefix being completed to
;; point, and its text), so the server completes as if it were accepted.
;;
;; Both packages are optional and read through their internal variables,
;; so every check is defensive: anything unexpected means "no selection".
;; Tested with company 0.9.13 (Debian's elpa-company); corfu (not packaged
;; by Debian 12) only by reading its source: `corfu--candidates',
;; `corfu--index' (-1: nothing selected), `corfu--base' and
;; `completion-in-region--data' (BEG END TABLE PRED).

;;; Code:

(defvar company-candidates)
(defvar company-selection)
(defvar company-prefix)
(defvar corfu--candidates)
(defvar corfu--index)
(defvar corfu--base)
(defvar completion-in-region--data)

(defun coderd-menu--replaces-p (beg)
  "Non-nil when BEG is a position on point's line, at or before point."
  (and (integerp beg) (<= (line-beginning-position) beg (point))))

(defun coderd-menu--company ()
  "(BEG . TEXT) of company's selected candidate, or nil."
  (when (and (bound-and-true-p company-mode)
             (bound-and-true-p company-candidates)
             (boundp 'company-selection) (integerp company-selection)
             (boundp 'company-prefix) (stringp company-prefix))
    (let ((candidate (nth company-selection company-candidates))
          (beg (- (point) (length company-prefix))))
      ;; Only when the prefix is really the text before point (not a fuzzy backend's own).
      (when (and (stringp candidate) (coderd-menu--replaces-p beg)
                 (equal (buffer-substring-no-properties beg (point)) company-prefix))
        (cons beg (substring-no-properties candidate))))))

(defun coderd-menu--corfu ()
  "(BEG . TEXT) of corfu's selected candidate, or nil."
  (when (and (bound-and-true-p corfu-mode)
             (bound-and-true-p completion-in-region-mode)
             (boundp 'corfu--index) (integerp corfu--index) (>= corfu--index 0)
             (boundp 'corfu--candidates) (consp completion-in-region--data))
    (let ((candidate (nth corfu--index corfu--candidates))
          (beg (car completion-in-region--data))
          (base (if (and (boundp 'corfu--base) (stringp corfu--base)) corfu--base "")))
      (when (markerp beg) (setq beg (marker-position beg)))
      ;; Corfu inserts BASE + candidate over BEG..END.
      (when (and (stringp candidate) (coderd-menu--replaces-p beg))
        (cons beg (concat base (substring-no-properties candidate)))))))

(defun coderd-menu-selection ()
  "(BEG . TEXT) of the selected candidate of an open completion menu, or nil.
BEG is where the candidate's replacement starts; it ends at point."
  (ignore-errors (or (coderd-menu--company) (coderd-menu--corfu))))

(provide 'coderd-menu)
;;; coderd-menu.el ends here

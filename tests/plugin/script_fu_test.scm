; plug-in-harmonize from Script-Fu (run by run-plugin-tests.sh): a white
; background, a foreground layer filled inside an elliptic selection, the
; selection as the mask, a reference box and half strength, arguments by
; name. Prints "RESULT <name of the new layer> <its offsets>".
(let* ((image (car (gimp-image-new 96 64 RGB)))
       (bg (car (gimp-layer-new image "bg" 96 64 RGB-IMAGE 100 LAYER-MODE-NORMAL)))
       (fg (car (gimp-layer-new image "fg" 40 30 RGBA-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image bg 0 0)
  (gimp-image-insert-layer image fg 0 0)
  (gimp-layer-set-offsets fg 30 20)
  (gimp-drawable-fill bg FILL-WHITE)
  (gimp-context-set-foreground '(200 80 60))
  (gimp-image-select-ellipse image CHANNEL-OP-REPLACE 35 25 30 20)
  (gimp-drawable-edit-fill fg FILL-FOREGROUND)
  (let* ((result (car (plug-in-harmonize #:run-mode RUN-NONINTERACTIVE
                                         #:image image
                                         #:drawables (vector fg)
                                         #:mask-source "selection"
                                         #:box-x 0 #:box-y 0 #:box-width 50 #:box-height 40
                                         #:strength 0.5)))
         (offsets (gimp-drawable-get-offsets result)))
    (gimp-message (string-append "RESULT " (car (gimp-item-get-name result))
                                 " " (number->string (car offsets))
                                 "," (number->string (cadr offsets))))))

"""Reading the MRZ from images with our own OCR-B reader (issue #3).

Modules: `locate` (find, rectify, cut into cells), `classifier` (HOG + MLP via cv2.dnn),
`reader` (`read_image`, check-digit decoding through `mrz.parse`), `multiframe` (votes across
video frames), `passporteye_reader` (the baseline), `train` (builds `ocrb_mlp.npz`),
`evaluate` (scoring against a folder of real images with verified transcriptions).
This package imports OpenCV and numpy; `import mrz` alone does not.
"""

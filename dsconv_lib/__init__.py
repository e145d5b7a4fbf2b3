"""dsconv_lib: depthwise separable convolutions, from numpy loops to MobileNet."""

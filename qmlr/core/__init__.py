"""The science: data, corruptions, models, training, unlearning, curvature; imports itself only."""

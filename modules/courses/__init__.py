"""Courses (issue 19): video courses that stream adaptively (HLS), track real progress, test
with quizzes and issue verifiable certificates."""

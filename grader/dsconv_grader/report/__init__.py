"""What graded work leaves behind: the students' feedback (`feedback.StudentFeedback`, an nbgrader
preprocessor) and the instructor's grades.csv, files and summary (`outputs`)."""

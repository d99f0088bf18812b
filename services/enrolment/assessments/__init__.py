"""Initial, baseline and comprehensive baseline assessments of an enterprise in a project."""

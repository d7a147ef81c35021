"""Understanding questions: text normalisation, spoken clock times, names and intent templates."""

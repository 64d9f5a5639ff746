"""Code that Recotem's backend and inference service share, with no Django import."""

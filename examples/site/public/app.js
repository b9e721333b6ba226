document.title += ' (this .js is a browser asset, served as a file)';
